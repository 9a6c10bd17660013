using ModelPlatform.Deployer.Tests.Kubernetes.Fake;

namespace ModelPlatform.Deployer.Tests.Kubernetes;

/// <summary>
/// Deployer processes sharing one namespace of the fake cluster: what one installation made is never
/// another's to remove, a deployer whose store was lost removes nothing it finds, and a deployer that
/// cannot read the namespace refuses to start.
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
    public async Task A_lost_store_with_the_installation_pinned_keeps_what_serves_and_a_deployment_created_again_takes_its_objects_back()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        api.Cluster.AutoReady = true;
        await using var first = new KubernetesDeployerFixture(api);
        await first.InitializeAsync();
        var again = new { image = "registry.example/team/model:1", replicas = 1 };
        (await first.CreateAsync("again", again, cancellationToken: Ct)).Dispose();
        (await first.CreateAsync("unclaimed", new { image = "registry.example/team/model:2", replicas = 1 }, cancellationToken: Ct)).Dispose();
        await first.WaitForReadyAsync("again", Ct);
        await first.WaitForReadyAsync("unclaimed", Ct);
        var installation = first.InstallationId();
        var before = api.Cluster.List(Resource.Deployments).ToDictionary(d => (string)d["metadata"]!["labels"]!["modelplatform.io/model"]!, d => (string)d["metadata"]!["name"]!);
        var uids = api.Cluster.List(Resource.Deployments).ToDictionary(d => (string)d["metadata"]!["name"]!, d => (string?)d["metadata"]!["uid"]);
        await first.StopAsync();

        // The store is lost; the operator pins the installation, as the docs say, to take its objects back.
        await using var second = new KubernetesDeployerFixture(api) { ExtraSettings = { ["Deployer__Kubernetes__InstallationId"] = installation } };
        await second.InitializeAsync();

        // Its start-up pass is over (readiness waits for it) and neither deployment's objects went.
        Assert.Equal(2, api.Cluster.List(Resource.Deployments).Count);
        Assert.All(before.Values, id => Assert.NotNull(api.Cluster.Get(Resource.Services, id)));
        await WaitUntilAsync(() => second.Process.Output.Contains("Keeping 2 replica set(s) of deployments this deployer's store does not hold", StringComparison.Ordinal));

        // Created again with the same spec, a deployment is served by the objects it had.
        (await second.CreateAsync("again", again, cancellationToken: Ct)).Dispose();
        await second.WaitForReadyAsync("again", Ct);
        var taken = Assert.Single(api.Cluster.List(Resource.Deployments, d => (string?)d["metadata"]!["labels"]!["modelplatform.io/model"] == "again"));
        Assert.Equal(before["again"], (string?)taken["metadata"]!["name"]);
        Assert.Equal(uids[before["again"]], (string?)taken["metadata"]!["uid"]);
        Assert.Equal(uids[before["unclaimed"]], (string?)api.Cluster.Get(Resource.Deployments, before["unclaimed"])?["metadata"]!["uid"]);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(50, deadline.Token);
        }
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
