using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapr.DurableTask.Protobuf;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Tests.Kubernetes.Fake;

namespace ModelPlatform.Deployer.Tests.Dapr;

/// <summary>
/// The production combination end to end: a deployer process on Dapr (store, audit and workflows
/// through the fake sidecar, workflows run by the Dapr SDK's worker) provisioning on the fake
/// Kubernetes API, through create, canary, traffic, promote and delete.
/// </summary>
public sealed class DaprKubernetesDeployerTests(DaprKubernetesDeployerFixture deployer) : IClassFixture<DaprKubernetesDeployerFixture>
{
    private const string Name = "dapr-k8s";
    private const string StableImage = "registry.example/team/model:1";
    private const string CanaryImage = "registry.example/team/model:2";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FakeCluster Cluster => deployer.Api.Cluster;

    [Fact]
    public async Task Create_canary_traffic_promote_and_delete_run_as_dapr_workflows_against_the_cluster()
    {
        // Create: one Deployment and Service, routed with all the traffic, state in the sidecar's store.
        using (var created = await deployer.CreateAsync(Name, new { image = StableImage, replicas = 2 }, cancellationToken: Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        }

        var ready = await deployer.WaitForReadyAsync(Name, Ct);
        Assert.Equal(2, ready.Status.Variants[VariantNames.Stable].ReadyReplicas);
        var stableSet = Assert.Single(Deployments());
        Assert.Equal(StableImage, Image(stableSet));
        Assert.Equal([(VariantNames.Stable, 100, Service(stableSet))], await RoutesAsync());
        Assert.NotNull(deployer.Sidecar.Store.Read($"deployment/{Name}"));
        var firstWorkflow = Assert.Single(deployer.Sidecar.Workflows.InstanceIds);
        Assert.Equal(OrchestrationStatus.Completed, deployer.Sidecar.Workflows.Status(firstWorkflow));

        // Canary: a second Deployment and Service, routed dark.
        using (var put = await deployer.Client.PutAsJsonAsync(
            $"/v1/deployments/{Name}", new { stable = new { image = StableImage, replicas = 2 }, canary = new { image = CanaryImage, replicas = 1 } }, Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        }

        var withCanary = await deployer.WaitForAsync(Name, d => d.Status.ObservedRevision == 2 && d.Status.Phase == DeploymentPhase.Ready, cancellationToken: Ct);
        Assert.Equal(new TrafficSplit(100, 0), withCanary.Traffic);
        Assert.Equal(2, Deployments().Count);
        var canarySet = Assert.Single(Deployments(), d => Variant(d) == VariantNames.Canary);
        Assert.Equal(CanaryImage, Image(canarySet));
        Assert.Equal([(VariantNames.Stable, 100, Service(stableSet)), (VariantNames.Canary, 0, Service(canarySet))], await RoutesAsync());

        // Traffic: only the routes change; both sets stay.
        using (var traffic = await deployer.Client.PutAsJsonAsync($"/v1/deployments/{Name}/traffic", new { canary = 30 }, Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, traffic.StatusCode);
        }

        var moved = await deployer.WaitForAsync(Name, d => d.Status.ObservedRevision == 3 && d.Status.Phase == DeploymentPhase.Ready, cancellationToken: Ct);
        Assert.Equal(new TrafficSplit(70, 30), moved.Traffic);
        Assert.Equal([(VariantNames.Stable, 70, Service(stableSet)), (VariantNames.Canary, 30, Service(canarySet))], await RoutesAsync());
        Assert.Equal(2, Deployments().Count);

        // Promote: the canary's set serves as stable, the old stable's Deployment and Service go.
        (await deployer.Client.PostAsync($"/v1/deployments/{Name}/promote", null, Ct)).Dispose();
        var promoted = await deployer.WaitForAsync(Name, d => d.Canary is null && d.Status.ObservedRevision == 4 && d.Status.Phase == DeploymentPhase.Ready, cancellationToken: Ct);
        Assert.Equal(CanaryImage, promoted.Stable.Image);
        await WaitUntilAsync(() => Deployments().Count == 1);
        var promotedSet = Assert.Single(Deployments());
        Assert.Equal(CanaryImage, Image(promotedSet));
        Assert.Equal(VariantNames.Stable, Variant(promotedSet));
        Assert.Null(Cluster.Get(Resource.Services, ObjectName(stableSet)));
        Assert.Equal([(VariantNames.Stable, 100, Service(promotedSet))], await RoutesAsync());

        // Delete: routes first, then the cluster's objects, then the record.
        (await deployer.Client.DeleteAsync($"/v1/deployments/{Name}", Ct)).Dispose();
        await deployer.WaitForGoneAsync(Name, Ct);
        Assert.Empty(Deployments());
        Assert.Empty(Cluster.List(Resource.Services, d => Labels(d)["modelplatform.io/model"]?.GetValue<string>() == Name));
        Assert.DoesNotContain((await deployer.RoutesAsync(Ct)).Models, m => m.Name == Name);
        Assert.Null(deployer.Sidecar.Store.Read($"deployment/{Name}"));

        // Every change ran as a Dapr workflow that the SDK replayed from its history on each event.
        var workflows = deployer.Sidecar.Workflows;
        Assert.True(workflows.InstanceIds.Count >= 5, string.Join(", ", workflows.InstanceIds));
        Assert.All(workflows.InstanceIds, id => Assert.Equal(OrchestrationStatus.Completed, workflows.Status(id)));
        Assert.True(workflows.WorkflowWorkItems > 2 * workflows.InstanceIds.Count, $"{workflows.WorkflowWorkItems} workflow work items");
    }

    [Fact]
    public async Task A_state_store_outage_answers_503_with_the_reason_and_changes_nothing()
    {
        deployer.Sidecar.Store.Outage = new Grpc.Core.Status(Grpc.Core.StatusCode.Unavailable, "connection refused");
        try
        {
            using var refused = await deployer.CreateAsync("dapr-outage", new { image = StableImage, replicas = 1 }, cancellationToken: Ct);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains("connection refused", (string?)(await ModelPlatform.Testing.DeployerHarness.ProblemAsync(refused, Ct))["detail"], StringComparison.Ordinal);
        }
        finally
        {
            deployer.Sidecar.Store.Outage = null;
        }

        Assert.Null(await deployer.GetAsync("dapr-outage", Ct));
    }

    private List<JsonNode> Deployments() =>
        [.. Cluster.List(Resource.Deployments, d => Labels(d)["modelplatform.io/model"]?.GetValue<string>() == Name)];

    private static JsonObject Labels(JsonNode item) => item["metadata"]!["labels"]!.AsObject();

    private static string ObjectName(JsonNode item) => (string)item["metadata"]!["name"]!;

    private static string Variant(JsonNode item) => (string)Labels(item)["modelplatform.io/variant"]!;

    private static string Image(JsonNode item) => (string)item["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!;

    private static string Service(JsonNode item) => $"http://{ObjectName(item)}.models.svc.cluster.local:8080";

    /// <summary>Each routed variant with its weight and its endpoints (joined).</summary>
    private async Task<List<(string, int, string)>> RoutesAsync()
    {
        var route = Assert.Single((await deployer.RoutesAsync(Ct)).Models, m => m.Name == Name);
        return [.. route.Variants.Select(v => (v.Name, v.Weight, string.Join(",", v.Endpoints)))];
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50, Ct);
        }

        Assert.True(condition());
    }
}
