using ModelPlatform.Deployer.Tests.Kubernetes.Fake;

namespace ModelPlatform.Deployer.Tests.Kubernetes;

/// <summary>
/// Deployer processes sharing one namespace of the fake cluster: what one installation made is never
/// another's to remove, and a deployer that cannot read the namespace refuses to start.
/// </summary>
public sealed class KubernetesInstallationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_deployer_started_on_an_empty_store_leaves_the_deployments_of_another_installation_alone()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        api.Cluster.AutoReady = true;
        await using var first = new KubernetesDeployerFixture(api);
        await first.InitializeAsync();
        (await first.CreateAsync("kept", new { image = "registry.example/team/model:1", replicas = 1 }, cancellationToken: Ct)).Dispose();
        await first.WaitForReadyAsync("kept", Ct);
        var id = (string)Assert.Single(api.Cluster.List(Resource.Deployments))["metadata"]!["name"]!;
        await first.StopAsync();

        // Its own data directory: the store of a second installation, or the first one's restored empty.
        await using var second = new KubernetesDeployerFixture(api);
        await second.InitializeAsync();

        Assert.NotEqual(first.InstallationId(), second.InstallationId());
        Assert.NotNull(api.Cluster.Get(Resource.Deployments, id));
        Assert.NotNull(api.Cluster.Get(Resource.Services, id));
        Assert.Null(await second.GetAsync("kept", Ct));
    }

    [Fact]
    public async Task A_namespace_the_deployer_may_not_list_stops_it_at_start_saying_what_is_missing()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        await using var deployer = new KubernetesDeployerFixture(api);
        await deployer.InitializeAsync();
        await deployer.StopAsync();

        await using var refused = deployer.Launch(("Deployer__Kubernetes__Namespace", "elsewhere"));
        var code = await refused.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(5, code);
        Assert.Contains("namespace 'elsewhere'", refused.Output, StringComparison.Ordinal);
        // The two watches list at once: whichever the API refuses first is the one named.
        Assert.Matches("cannot list resource \"(deployments|pods)\"", refused.Output);
        Assert.Contains("list and watch on deployments.apps and pods", refused.Output, StringComparison.Ordinal);
    }
}
