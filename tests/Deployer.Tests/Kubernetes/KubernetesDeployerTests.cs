using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Tests.Kubernetes.Fake;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Kubernetes;

/// <summary>The deployer process on the Kubernetes provisioner, from the API to the fake cluster and back.</summary>
public sealed class KubernetesDeployerTests(KubernetesDeployerFixture deployer) : IClassFixture<KubernetesDeployerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FakeCluster Cluster => deployer.Api.Cluster;

    private static object ImageVariant(string image = "registry.example/team/model:1", int replicas = 1) => new { image, replicas };

    [Fact]
    public async Task A_posted_image_deployment_becomes_ready_and_routes_to_its_service()
    {
        using var response = await deployer.CreateAsync("k8s-create", ImageVariant(replicas: 2), cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var ready = await deployer.WaitForReadyAsync("k8s-create", Ct);

        var stable = ready.Status.Variants[VariantNames.Stable];
        Assert.Equal(2, stable.ReadyReplicas);
        var deployment = Assert.Single(Cluster.List(Resource.Deployments, d => (string?)d["metadata"]!["labels"]!["modelplatform.io/model"] == "k8s-create"));
        var id = (string)deployment["metadata"]!["name"]!;
        var service = $"http://{id}.models.svc.cluster.local:8080";
        Assert.Equal([service], stable.Endpoints);
        var route = Assert.Single((await deployer.RoutesAsync(Ct)).Models, m => m.Name == "k8s-create");
        Assert.Equal([service], Assert.Single(route.Variants).Endpoints);
        Assert.NotNull(Cluster.Get(Resource.Services, id));
    }

    [Fact]
    public async Task Canary_promotion_and_delete_leave_only_what_is_wanted_in_the_cluster()
    {
        (await deployer.CreateAsync("k8s-canary", ImageVariant(), ImageVariant("registry.example/team/model:2"), Ct)).Dispose();
        var ready = await deployer.WaitForReadyAsync("k8s-canary", Ct);
        Assert.Equal(2, Objects("k8s-canary", Resource.Deployments).Count);
        Assert.Equal(2, Objects("k8s-canary", Resource.Services).Count);
        Assert.Contains(Objects("k8s-canary", Resource.Deployments), d => (string?)d["metadata"]!["labels"]!["modelplatform.io/variant"] == "canary");

        (await deployer.Client.PostAsync("/v1/deployments/k8s-canary/promote", null, Ct)).Dispose();
        await deployer.WaitForAsync("k8s-canary", d => d.Canary is null && d.Status.Phase == DeploymentPhase.Ready && d.Status.ObservedRevision > ready.Status.Revision, cancellationToken: Ct);
        await WaitUntilAsync(() => Objects("k8s-canary", Resource.Deployments).Count == 1);
        var promoted = Assert.Single(Objects("k8s-canary", Resource.Deployments));
        Assert.Equal("registry.example/team/model:2", (string?)promoted["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]);
        Assert.Equal("stable", (string?)promoted["metadata"]!["labels"]!["modelplatform.io/variant"]);

        (await deployer.Client.DeleteAsync("/v1/deployments/k8s-canary", Ct)).Dispose();
        await deployer.WaitForGoneAsync("k8s-canary", Ct);
        Assert.Empty(Objects("k8s-canary", Resource.Deployments));
        Assert.Empty(Objects("k8s-canary", Resource.Services));
        Assert.DoesNotContain((await deployer.RoutesAsync(Ct)).Models, m => m.Name == "k8s-canary");
    }

    [Fact]
    public async Task A_new_revision_replaces_the_deployment_object()
    {
        (await deployer.CreateAsync("k8s-revise", ImageVariant(), cancellationToken: Ct)).Dispose();
        await deployer.WaitForReadyAsync("k8s-revise", Ct);
        var before = (string)Assert.Single(Objects("k8s-revise", Resource.Deployments))["metadata"]!["name"]!;

        using var put = await deployer.Client.PutAsJsonAsync("/v1/deployments/k8s-revise", new { stable = ImageVariant("registry.example/team/model:9") }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        await deployer.WaitForAsync("k8s-revise", d => d.Status.ObservedRevision == 2 && d.Status.Phase == DeploymentPhase.Ready, cancellationToken: Ct);
        await WaitUntilAsync(() => Objects("k8s-revise", Resource.Deployments).Count == 1);

        var after = Assert.Single(Objects("k8s-revise", Resource.Deployments));
        Assert.NotEqual(before, (string?)after["metadata"]!["name"]);
        Assert.Null(Cluster.Get(Resource.Services, before));
    }

    [Fact]
    public async Task A_forbidden_apply_fails_the_deployment_with_the_api_message()
    {
        deployer.Api.Fail("PATCH", "/deployments/k8s-forbidden-", 403, "Forbidden",
            "deployments.apps is forbidden: User \"system:serviceaccount:models:deployer\" cannot patch resource \"deployments\"", times: 1);

        (await deployer.CreateAsync("k8s-forbidden", ImageVariant(), cancellationToken: Ct)).Dispose();
        var failed = await deployer.WaitForAsync("k8s-forbidden", d => d.Status.Phase == DeploymentPhase.Failed, cancellationToken: Ct);

        var condition = Assert.Single(failed.Status.Conditions, c => c.Type == "Ready");
        Assert.Equal("False", condition.Status);
        Assert.Contains("403 Forbidden", condition.Message, StringComparison.Ordinal);
        Assert.Contains("cannot patch resource", condition.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await deployer.Client.GetAsync("/readyz", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_stalled_rollout_fails_the_deployment_with_the_reason()
    {
        Cluster.AutoReady = false;
        try
        {
            (await deployer.CreateAsync("k8s-stall", ImageVariant("registry.example/team/missing:1"), cancellationToken: Ct)).Dispose();
            await WaitUntilAsync(() => Objects("k8s-stall", Resource.Deployments).Count == 1);
        }
        finally
        {
            Cluster.AutoReady = true;
        }

        Cluster.Stall((string)Objects("k8s-stall", Resource.Deployments)[0]["metadata"]!["name"]!);
        var failed = await deployer.WaitForAsync("k8s-stall", d => d.Status.Phase == DeploymentPhase.Failed, cancellationToken: Ct);

        Assert.Contains(failed.Status.Conditions, c => c.Type == "Ready" && c.Message.Contains("ProgressDeadlineExceeded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Objects_of_ours_that_their_deployment_no_longer_wants_are_removed_at_start_and_those_of_unknown_deployments_kept()
    {
        (await deployer.CreateAsync("k8s-known", ImageVariant(), cancellationToken: Ct)).Dispose();
        await deployer.WaitForReadyAsync("k8s-known", Ct);
        var serving = (string)Assert.Single(Objects("k8s-known", Resource.Deployments))["metadata"]!["name"]!;
        foreach (var resource in new[] { Resource.Deployments, Resource.Services })
        {
            Cluster.Seed(resource, Orphan(resource, deployer.InstallationId(), "k8s-known"));
            Cluster.Seed(resource, Orphan(resource, deployer.InstallationId(), "ghost"));
        }

        Cluster.Seed(Resource.Services, Foreign());
        await deployer.StopAsync();
        await deployer.StartAsync();

        Assert.Null(Cluster.Get(Resource.Deployments, "k8s-known-0123456789"));
        Assert.Null(Cluster.Get(Resource.Services, "k8s-known-0123456789"));
        Assert.NotNull(Cluster.Get(Resource.Deployments, serving));
        // No store holds "ghost": its objects were not left by a crash of this store's deployer.
        Assert.NotNull(Cluster.Get(Resource.Deployments, "ghost-0123456789"));
        Assert.NotNull(Cluster.Get(Resource.Services, "ghost-0123456789"));
        Assert.NotNull(Cluster.Get(Resource.Services, "someone-else"));
        Cluster.Delete(Resource.Deployments, "ghost-0123456789", null);
        Cluster.Delete(Resource.Services, "ghost-0123456789", null);
    }

    [Fact]
    public async Task Logs_of_a_replica_come_from_its_pod()
    {
        (await deployer.CreateAsync("k8s-logs", ImageVariant(), cancellationToken: Ct)).Dispose();
        var ready = await deployer.WaitForReadyAsync("k8s-logs", Ct);
        var pod = ready.Status.Variants[VariantNames.Stable].Logs.Single().Split('/')[^1];
        Cluster.SetLog(pod, "model loaded");

        var text = await deployer.Client.GetStringAsync("/v1/deployments/k8s-logs/logs?tail=5", Ct);

        Assert.Equal("model loaded", text);
    }

    [Fact]
    public async Task Image_variants_and_autoscaling_are_accepted_here_and_checked()
    {
        using var bad = await deployer.CreateAsync("k8s-bounds", new { image = "registry.example/team/model:1", replicas = 1, minReplicas = 3, maxReplicas = 2 }, cancellationToken: Ct);
        using var outside = await deployer.CreateAsync("k8s-outside", new { model = new { format = "onnx", uri = "/etc/passwd" } }, cancellationToken: Ct);
        using var good = await deployer.CreateAsync("k8s-auto", new { image = "registry.example/team/model:1", replicas = 2, minReplicas = 2, maxReplicas = 4, resources = new { cpu = "1" } }, cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await DeployerHarness.ProblemAsync(bad, Ct))["errors"]!.AsObject();
        Assert.Contains("stable.maxReplicas", errors.Select(e => e.Key));
        Assert.Contains("stable.resources.cpu", errors.Select(e => e.Key));
        Assert.Equal(HttpStatusCode.BadRequest, outside.StatusCode);
        Assert.Contains("model volume", (await DeployerHarness.ProblemAsync(outside, Ct))["errors"]!["stable.model.uri"]![0]!.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, good.StatusCode);
        await deployer.WaitForReadyAsync("k8s-auto", Ct);
        Assert.Single(Objects("k8s-auto", Resource.Autoscalers));
    }

    [Theory]
    [InlineData(0, "between 1 and 65535")]
    [InlineData(70000, "between 1 and 65535")]
    [InlineData(8080, "HTTP port")]
    public async Task An_images_grpc_port_must_be_a_port_other_than_the_http_one(int port, string reason)
    {
        using var refused = await deployer.CreateAsync($"k8s-grpc-{port}", new { image = "registry.example/team/model:1", grpcPort = port }, cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains(reason, (await DeployerHarness.ProblemAsync(refused, Ct))["errors"]!["stable.grpcPort"]![0]!.ToString(), StringComparison.Ordinal);
    }

    private List<JsonObject> Objects(string model, Resource resource) =>
        Cluster.List(resource, o => (string?)o["metadata"]!["labels"]?["modelplatform.io/model"] == model);

    /// <summary>
    /// What this installation left of <paramref name="model"/>: an old revision that a crash between
    /// publishing routes and retiring it left behind, say.
    /// </summary>
    private static JsonObject Orphan(Resource resource, string installation, string model)
    {
        var name = $"{model}-0123456789";
        var labels = new JsonObject
        {
            ["app.kubernetes.io/managed-by"] = "model-deployer",
            ["app.kubernetes.io/instance"] = name,
            ["modelplatform.io/model"] = model,
            ["modelplatform.io/installation"] = installation,
        };
        return resource == Resource.Deployments
            ? new JsonObject
            {
                ["apiVersion"] = "apps/v1",
                ["kind"] = "Deployment",
                ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels },
                ["spec"] = new JsonObject
                {
                    ["replicas"] = 1,
                    ["selector"] = new JsonObject { ["matchLabels"] = labels.DeepClone() },
                    ["template"] = new JsonObject
                    {
                        ["metadata"] = new JsonObject { ["labels"] = labels.DeepClone() },
                        ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "model", ["image"] = $"{model}:1" }) },
                    },
                },
            }
            : new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Service",
                ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels },
                ["spec"] = new JsonObject { ["ports"] = new JsonArray(new JsonObject { ["port"] = 8080 }) },
            };
    }

    private static JsonObject Foreign() => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = new JsonObject { ["name"] = "someone-else", ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "helm" } },
        ["spec"] = new JsonObject { ["ports"] = new JsonArray(new JsonObject { ["port"] = 80 }) },
    };

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(50, deadline.Token);
        }
    }
}
