using System.Net;
using System.Net.Http.Json;
using ModelPlatform.Contracts;

using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>Canary, weights, promote and rollback, as the route table shows them.</summary>
public sealed class TrafficTests(DeployerFixture deployer) : IClassFixture<DeployerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private object Canary => deployer.ModelVariant(env: new() { ["VARIANT"] = "canary" });

    [Fact]
    public async Task A_new_canary_starts_dark_and_weights_move_in_the_route_table()
    {
        (await deployer.CreateAsync("split", deployer.ModelVariant(), Canary, Ct)).Dispose();
        var ready = await deployer.WaitForReadyAsync("split", Ct);
        Assert.Equal(new TrafficSplit(100, 0), ready.Traffic);
        Assert.Equal([("stable", 100), ("canary", 0)], Weights(await deployer.RoutesAsync(Ct), "split"));

        var before = (await deployer.RoutesAsync(Ct)).Version;
        using var put = await deployer.Client.PutAsJsonAsync("/v1/deployments/split/traffic", new { canary = 25 }, Ct);
        var moved = await deployer.WaitForAsync("split", d => d.Status.ObservedRevision == 2, cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        Assert.Equal(new TrafficSplit(75, 25), moved.Traffic);
        var routes = await deployer.RoutesAsync(Ct);
        Assert.True(routes.Version > before);
        Assert.Equal([("stable", 75), ("canary", 25)], Weights(routes, "split"));
        Assert.Equal(2, deployer.Replicas("split").Count);
    }

    [Fact]
    public async Task Promote_moves_traffic_to_the_canary_replicas_then_stops_the_old_stable()
    {
        (await deployer.CreateAsync("promo", deployer.ModelVariant(), Canary, Ct)).Dispose();
        var ready = await deployer.WaitForReadyAsync("promo", Ct);
        var canaryEndpoints = ready.Status.Variants[VariantNames.Canary].Endpoints;

        using var promote = await deployer.Client.PostAsync("/v1/deployments/promo/promote", null, Ct);
        var promoted = await deployer.WaitForAsync("promo", d => d.Status.ObservedRevision == 2, cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.Accepted, promote.StatusCode);
        Assert.Null(promoted.Canary);
        Assert.Equal("canary", promoted.Stable.Env!["VARIANT"]);
        var route = Assert.Single((await deployer.RoutesAsync(Ct)).Models, m => m.Name == "promo");
        var stable = Assert.Single(route.Variants);
        Assert.Equal((VariantNames.Stable, 100), (stable.Name, stable.Weight));
        Assert.Equal(canaryEndpoints, stable.Endpoints);
        var pid = Assert.Single(deployer.Replicas("promo"));
        Assert.Equal("canary", ModelPlatform.Testing.ReplicaProcesses.EnvironmentValue(pid, "VARIANT"));
    }

    [Fact]
    public async Task Promote_keeps_the_stables_replica_count()
    {
        (await deployer.CreateAsync("capacity", deployer.ModelVariant(replicas: 2), Canary, Ct)).Dispose();
        await deployer.WaitForReadyAsync("capacity", Ct);

        using var promote = await deployer.Client.PostAsync("/v1/deployments/capacity/promote", null, Ct);
        var promoted = await deployer.WaitForAsync("capacity", d => d.Status.ObservedRevision == 2 && d.Status.Phase == DeploymentPhase.Ready, cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.Accepted, promote.StatusCode);
        Assert.Equal(("canary", 2), (promoted.Stable.Env!["VARIANT"], promoted.Stable.Replicas));
        Assert.Equal(2, promoted.Status.Variants[VariantNames.Stable].ReadyReplicas);
        Assert.Equal(2, Assert.Single((await deployer.RoutesAsync(Ct)).Models, m => m.Name == "capacity").Variants.Single().Endpoints.Count);
    }

    [Fact]
    public async Task Promote_serves_with_the_replica_count_the_request_names()
    {
        (await deployer.CreateAsync("rescale", deployer.ModelVariant(replicas: 2), Canary, Ct)).Dispose();
        await deployer.WaitForReadyAsync("rescale", Ct);

        using var negative = await deployer.Client.PostAsJsonAsync("/v1/deployments/rescale/promote", new { replicas = -1 }, Ct);
        using var unknown = await deployer.Client.PostAsJsonAsync("/v1/deployments/rescale/promote", new { replica = 3 }, Ct);
        using var promote = await deployer.Client.PostAsJsonAsync("/v1/deployments/rescale/promote", new { replicas = 3 }, Ct);
        var promoted = await deployer.WaitForAsync("rescale", d => d.Status.ObservedRevision == 2 && d.Status.Phase == DeploymentPhase.Ready, cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
        Assert.True((await DeployerHarness.ProblemAsync(negative, Ct))["errors"]!.AsObject().ContainsKey("replicas"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.True((await DeployerHarness.ProblemAsync(unknown, Ct))["errors"]!.AsObject().ContainsKey("replica"));
        Assert.Equal(HttpStatusCode.Accepted, promote.StatusCode);
        Assert.Equal(("canary", 3), (promoted.Stable.Env!["VARIANT"], promoted.Stable.Replicas));
        Assert.Equal(3, promoted.Status.Variants[VariantNames.Stable].ReadyReplicas);
    }

    [Fact]
    public async Task Rollback_returns_traffic_to_stable_then_stops_the_canary()
    {
        (await deployer.CreateAsync("back", deployer.ModelVariant(), Canary, Ct)).Dispose();
        await deployer.WaitForReadyAsync("back", Ct);
        (await deployer.Client.PutAsJsonAsync("/v1/deployments/back/traffic", new { canary = 50 }, Ct)).Dispose();
        await deployer.WaitForAsync("back", d => d.Status.ObservedRevision == 2, cancellationToken: Ct);

        using var rollback = await deployer.Client.PostAsync("/v1/deployments/back/rollback", null, Ct);
        var rolled = await deployer.WaitForAsync("back", d => d.Status.ObservedRevision == 3, cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.Accepted, rollback.StatusCode);
        Assert.Null(rolled.Canary);
        Assert.Equal(new TrafficSplit(100, 0), rolled.Traffic);
        Assert.Equal([("stable", 100)], Weights(await deployer.RoutesAsync(Ct), "back"));
        var pid = Assert.Single(deployer.Replicas("back"));
        Assert.Null(ModelPlatform.Testing.ReplicaProcesses.EnvironmentValue(pid, "VARIANT"));
    }

    [Fact]
    public async Task Traffic_controls_need_a_canary()
    {
        (await deployer.CreateAsync("solo", cancellationToken: Ct)).Dispose();

        using var traffic = await deployer.Client.PutAsJsonAsync("/v1/deployments/solo/traffic", new { canary = 10 }, Ct);
        using var promote = await deployer.Client.PostAsync("/v1/deployments/solo/promote", null, Ct);
        using var rollback = await deployer.Client.PostAsync("/v1/deployments/solo/rollback", null, Ct);
        using var missing = await deployer.Client.PutAsJsonAsync("/v1/deployments/nobody/traffic", new { canary = 10 }, Ct);
        using var invalid = await deployer.Client.PutAsJsonAsync("/v1/deployments/solo/traffic", new { canary = 150 }, Ct);
        using var unknown = await deployer.Client.PutAsJsonAsync("/v1/deployments/solo/traffic", new { canary = 10, stable = 90 }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, traffic.StatusCode);
        Assert.True((await DeployerHarness.ProblemAsync(traffic, Ct))["errors"]!.AsObject().ContainsKey("traffic.canary"));
        Assert.Equal(HttpStatusCode.Conflict, promote.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, rollback.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(1, (await deployer.GetAsync("solo", Ct))!.Status.Revision);
    }

    [Fact]
    public async Task Watching_routes_answers_when_the_version_moves_and_after_the_timeout_otherwise()
    {
        (await deployer.CreateAsync("watched", deployer.ModelVariant(), Canary, Ct)).Dispose();
        await deployer.WaitForReadyAsync("watched", Ct);
        var version = (await deployer.RoutesAsync(Ct)).Version;

        var idle = await deployer.Client.GetFromJsonAsync<RouteTable>($"/v1/routes?watch=true&after={version}", DeployerHarness.Json, Ct);
        Assert.Equal(version, idle!.Version);

        var watch = deployer.Client.GetFromJsonAsync<RouteTable>($"/v1/routes?watch=true&after={version}", DeployerHarness.Json, Ct);
        (await deployer.Client.PutAsJsonAsync("/v1/deployments/watched/traffic", new { canary = 40 }, Ct)).Dispose();
        var changed = await watch;

        Assert.True(changed!.Version > version);
        Assert.Contains(("canary", 40), Weights(changed, "watched"));
        using var bad = await deployer.Client.GetAsync("/v1/routes?watch=true", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    private static List<(string, int)> Weights(RouteTable routes, string model) =>
        [.. routes.Models.Single(m => m.Name == model).Variants.Select(v => (v.Name, v.Weight))];
}
