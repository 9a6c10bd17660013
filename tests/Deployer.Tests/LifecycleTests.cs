using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelPlatform.Contracts;

using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>Create, read, replace, scale, delete, on real replica processes.</summary>
public sealed class LifecycleTests(DeployerFixture deployer) : IClassFixture<DeployerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_answers_202_with_location_and_etag_and_becomes_ready_with_serving_replicas()
    {
        using var response = await deployer.CreateAsync("create", deployer.ModelVariant(replicas: 2), cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("/v1/deployments/create", response.Headers.Location?.OriginalString);
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        var ready = await deployer.WaitForReadyAsync("create", Ct);
        Assert.Equal(1, ready.Status.Revision);
        Assert.Equal(1, ready.Status.ObservedRevision);
        Assert.Equal("http://127.0.0.1:5000/v2/models/create", ready.Status.Url);
        var stable = ready.Status.Variants[VariantNames.Stable];
        Assert.Equal(2, stable.ReadyReplicas);
        Assert.Equal(2, stable.Endpoints.Count);
        Assert.Contains(ready.Status.Conditions, c => c.Type == "Ready" && c.Status == "True");
        Assert.Equal(2, deployer.Replicas("create").Count);

        // The endpoints are real model servers serving this deployment's model under its name.
        foreach (var endpoint in stable.Endpoints)
        {
            using var client = new HttpClient { BaseAddress = new Uri(endpoint) };
            using var infer = await client.PostAsJsonAsync("/v2/models/create/infer", new
            {
                inputs = new object[]
                {
                    new { name = "a", datatype = "FP32", shape = new[] { 1, 3 }, data = new[] { 1f, 2f, 3f } },
                    new { name = "b", datatype = "FP32", shape = new[] { 1, 3 }, data = new[] { 1f, 1f, 1f } },
                },
            }, Ct);
            Assert.Equal(HttpStatusCode.OK, infer.StatusCode);
        }

        var route = Assert.Single((await deployer.RoutesAsync(Ct)).Models, m => m.Name == "create");
        var variant = Assert.Single(route.Variants);
        Assert.Equal(100, variant.Weight);
        Assert.Equal(stable.Endpoints.Order(), variant.Endpoints.Order());
    }

    [Fact]
    public async Task Repeating_a_create_is_idempotent_and_a_different_one_conflicts()
    {
        using var first = await deployer.CreateAsync("repeat", cancellationToken: Ct);
        using var again = await deployer.CreateAsync("repeat", cancellationToken: Ct);
        using var different = await deployer.CreateAsync("repeat", deployer.ModelVariant(replicas: 2), cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, different.StatusCode);
        await deployer.WaitForReadyAsync("repeat", Ct);
        Assert.Single(deployer.Replicas("repeat"));
    }

    [Fact]
    public async Task An_identical_put_changes_nothing()
    {
        (await deployer.CreateAsync("same", cancellationToken: Ct)).Dispose();
        var ready = await deployer.WaitForReadyAsync("same", Ct);

        using var put = await deployer.Client.PutAsJsonAsync("/v1/deployments/same", new { stable = deployer.ModelVariant() }, Ct);

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("\"1\"", put.Headers.ETag?.Tag);
        var after = await deployer.GetAsync("same", Ct);
        Assert.Equal(1, after!.Status.Revision);
        Assert.Equal(ready.Status.Variants[VariantNames.Stable].Endpoints, after.Status.Variants[VariantNames.Stable].Endpoints);
    }

    [Fact]
    public async Task If_match_with_a_stale_etag_gets_412_and_the_current_one_succeeds()
    {
        (await deployer.CreateAsync("etag", cancellationToken: Ct)).Dispose();
        await deployer.WaitForReadyAsync("etag", Ct);

        using var stale = new HttpRequestMessage(HttpMethod.Put, "/v1/deployments/etag") { Content = JsonContent.Create(new { stable = deployer.ModelVariant(replicas: 2) }) };
        stale.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"7\""));
        using var refused = await deployer.Client.SendAsync(stale, Ct);
        using var fresh = new HttpRequestMessage(HttpMethod.Put, "/v1/deployments/etag") { Content = JsonContent.Create(new { stable = deployer.ModelVariant(replicas: 2) }) };
        fresh.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"1\""));
        using var accepted = await deployer.Client.SendAsync(fresh, Ct);

        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal("\"2\"", accepted.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task Concurrent_writers_with_the_same_etag_have_exactly_one_winner()
    {
        (await deployer.CreateAsync("race", deployer.ModelVariant(), deployer.ModelVariant(env: new() { ["V"] = "2" }), Ct)).Dispose();
        await deployer.WaitForReadyAsync("race", Ct);

        var attempts = Enumerable.Range(1, 8).Select(async weight =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/deployments/race/traffic") { Content = JsonContent.Create(new { canary = weight * 10 }) };
            request.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"1\""));
            using var response = await deployer.Client.SendAsync(request, Ct);
            return response.StatusCode;
        });
        var outcomes = await Task.WhenAll(attempts);

        Assert.Equal(1, outcomes.Count(status => status == HttpStatusCode.Accepted));
        Assert.Equal(7, outcomes.Count(status => status == HttpStatusCode.PreconditionFailed));
        Assert.Equal(2, (await deployer.GetAsync("race", Ct))!.Status.Revision);
    }

    [Fact]
    public async Task Scaling_keeps_the_replicas_it_can_and_adds_or_stops_the_difference()
    {
        (await deployer.CreateAsync("scale", cancellationToken: Ct)).Dispose();
        var one = await deployer.WaitForReadyAsync("scale", Ct);

        (await deployer.Client.PutAsJsonAsync("/v1/deployments/scale", new { stable = deployer.ModelVariant(replicas: 3) }, Ct)).Dispose();
        var three = await deployer.WaitForAsync("scale", d => d.Status.Phase == DeploymentPhase.Ready && d.Status.Variants[VariantNames.Stable].ReadyReplicas == 3, cancellationToken: Ct);
        (await deployer.Client.PutAsJsonAsync("/v1/deployments/scale", new { stable = deployer.ModelVariant(replicas: 1) }, Ct)).Dispose();
        var back = await deployer.WaitForAsync("scale", d => d.Status.Revision == 3 && d.Status.Phase == DeploymentPhase.Ready, cancellationToken: Ct);

        Assert.Contains(one.Status.Variants[VariantNames.Stable].Endpoints[0], three.Status.Variants[VariantNames.Stable].Endpoints);
        Assert.Equal(one.Status.Variants[VariantNames.Stable].Endpoints, back.Status.Variants[VariantNames.Stable].Endpoints);
        Assert.Single(deployer.Replicas("scale"));
    }

    [Fact]
    public async Task A_new_stable_revision_replaces_the_old_replicas_after_the_new_ones_are_ready()
    {
        (await deployer.CreateAsync("revise", cancellationToken: Ct)).Dispose();
        var before = await deployer.WaitForReadyAsync("revise", Ct);

        using var put = await deployer.Client.PutAsJsonAsync("/v1/deployments/revise", new { stable = deployer.ModelVariant(env: new() { ["REVISION"] = "2" }) }, Ct);
        var after = await deployer.WaitForAsync("revise", d => d.Status.ObservedRevision == 2, cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        Assert.Equal(DeploymentPhase.Ready, after.Status.Phase);
        Assert.NotEqual(before.Status.Variants[VariantNames.Stable].Endpoints, after.Status.Variants[VariantNames.Stable].Endpoints);
        var pid = Assert.Single(deployer.Replicas("revise"));
        Assert.Equal("2", ModelPlatform.Testing.ReplicaProcesses.EnvironmentValue(pid, "REVISION"));
    }

    [Fact]
    public async Task Delete_drains_routes_stops_replicas_and_forgets_the_deployment()
    {
        (await deployer.CreateAsync("bye", deployer.ModelVariant(replicas: 2), cancellationToken: Ct)).Dispose();
        await deployer.WaitForReadyAsync("bye", Ct);

        using var delete = await deployer.Client.DeleteAsync("/v1/deployments/bye", Ct);
        await deployer.WaitForGoneAsync("bye", Ct);

        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.DoesNotContain((await deployer.RoutesAsync(Ct)).Models, m => m.Name == "bye");
        Assert.Empty(deployer.Replicas("bye"));
        using var again = await deployer.Client.DeleteAsync("/v1/deployments/bye", Ct);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task Replica_logs_are_readable_through_the_api()
    {
        (await deployer.CreateAsync("logs", cancellationToken: Ct)).Dispose();
        var ready = await deployer.WaitForReadyAsync("logs", Ct);

        var text = await deployer.Client.GetStringAsync("/v1/deployments/logs/logs?variant=stable&replica=0&tail=50", Ct);

        Assert.Contains("Model 'logs' loaded", text, StringComparison.Ordinal);
        Assert.True(File.Exists(Assert.Single(ready.Status.Variants[VariantNames.Stable].Logs)));
        using var missing = await deployer.Client.GetAsync("/v1/deployments/logs/logs?replica=5", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task List_shows_every_deployment_with_its_status()
    {
        (await deployer.CreateAsync("listed", cancellationToken: Ct)).Dispose();

        var list = await deployer.Client.GetFromJsonAsync<JsonObject>("/v1/deployments", Ct);

        var item = list!["items"]!.AsArray().Single(i => i!["name"]!.GetValue<string>() == "listed");
        Assert.NotNull(item!["status"]!["phase"]);
    }
}
