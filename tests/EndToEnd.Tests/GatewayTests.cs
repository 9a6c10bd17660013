using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.EndToEnd.Tests;

/// <summary>Deploy through the deployer, call through the gateway, move traffic, break things.</summary>
public sealed class GatewayTests(SuiteFixture suite) : IClassFixture<SuiteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private object Stable => suite.ModelVariant();

    private object Canary => suite.ModelVariant(env: new() { ["VARIANT"] = "canary" });

    [Fact]
    public async Task Every_route_kind_reaches_the_model()
    {
        await suite.DeployAsync("routes", Stable, null, 0, Ct);

        var (status, variant) = await suite.InferAsync("routes", null, Ct);
        using var metadata = await suite.Gateway.GetAsync("/v2/models/routes", Ct);
        using var stripped = await suite.Gateway.GetAsync("/models/routes/v2/models/routes/ready", Ct);
        using var strippedMetadata = await suite.Gateway.GetAsync("/models/routes/v2/models/routes", Ct);
        using var unknown = await suite.Gateway.PostAsJsonAsync("/v2/models/nobody/infer", SuiteFixture.AddMulInfer(), Ct);
        using var unknownPrefix = await suite.Gateway.GetAsync("/models/nobody/anything", Ct);

        Assert.Equal((200, "stable"), (status, variant));
        Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
        Assert.Equal("routes", (await metadata.Content.ReadFromJsonAsync<JsonObject>(Ct))!["name"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, stripped.StatusCode);
        Assert.Equal(HttpStatusCode.OK, strippedMetadata.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Contains("nobody", (await unknown.Content.ReadFromJsonAsync<JsonObject>(Ct))!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknownPrefix.StatusCode);
        Assert.Equal("application/problem+json", unknownPrefix.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_replicas_metrics_and_health_are_not_served_through_the_gateway()
    {
        var replica = (await suite.DeployAsync("operational", Stable, null, 0, Ct)).Status.Variants[VariantNames.Stable].Endpoints[0];
        using var direct = new HttpClient { BaseAddress = new Uri(replica) };
        using var metricsOnReplica = await direct.GetAsync("/metrics", Ct);

        using var metrics = await suite.Gateway.GetAsync("/models/operational/metrics", Ct);
        using var readyz = await suite.Gateway.GetAsync("/models/operational/readyz", Ct);
        using var health = await suite.Gateway.GetAsync("/models/operational/v2/health/ready", Ct);
        using var server = await suite.Gateway.GetAsync("/models/operational/v2", Ct);

        // The replica serves its metrics; the gateway does not pass the path on.
        Assert.Equal(HttpStatusCode.OK, metricsOnReplica.StatusCode);
        foreach (var response in new[] { metrics, readyz, health, server })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.DoesNotContain("inference_requests_total", await metrics.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(50)]
    [InlineData(90)]
    public async Task The_split_follows_the_weight_closely_over_a_few_hundred_requests(int weight)
    {
        var name = $"split-{weight}";
        await suite.DeployAsync(name, Stable, Canary, weight, Ct);

        var canary = 0;
        for (var i = 0; i < 300; i++)
        {
            var (status, variant) = await suite.InferAsync(name, null, Ct);
            Assert.Equal(200, status);
            canary += variant == VariantNames.Canary ? 1 : 0;
        }

        // Smooth weighted round-robin is exact over every 100 picks; allow one pick either way.
        Assert.InRange(canary, 3 * weight - 1, 3 * weight + 1);
    }

    [Fact]
    public async Task The_variant_header_pins_a_request_even_to_a_dark_canary()
    {
        await suite.DeployAsync("pinned", Stable, Canary, 0, Ct);

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal((200, "canary"), await suite.InferAsync("pinned", "canary", Ct));
            Assert.Equal((200, "stable"), await suite.InferAsync("pinned", "stable", Ct));
            Assert.Equal((200, "stable"), await suite.InferAsync("pinned", null, Ct));
        }
    }

    [Fact]
    public async Task A_pin_names_a_variant_in_any_case_and_nothing_else()
    {
        await suite.DeployAsync("strict", Stable, Canary, 0, Ct);

        Assert.Equal((200, "canary"), await suite.InferAsync("strict", "Canary", Ct));
        Assert.Equal((200, "stable"), await suite.InferAsync("strict", "STABLE", Ct));
        Assert.Equal(400, (await suite.InferAsync("strict", "blue", Ct)).Status);
        var metrics = await suite.Gateway.GetStringAsync("/metrics", Ct);
        Assert.DoesNotContain("variant=\"blue\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_gateway_answers_the_server_wide_v2_endpoints_itself()
    {
        using var live = await suite.Gateway.GetAsync("/v2/health/live", Ct);
        using var ready = await suite.Gateway.GetAsync("/v2/health/ready", Ct);
        var metadata = await suite.Gateway.GetFromJsonAsync<JsonObject>("/v2", Ct);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("modelplatform-gateway", metadata!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Weights_change_under_load_without_a_failed_request()
    {
        await suite.DeployAsync("moving", Stable, Canary, 10, Ct);

        var steps = Task.Run(async () =>
        {
            foreach (var weight in new[] { 50, 100, 0, 30 })
            {
                await suite.SetWeightAsync("moving", weight, Ct);
                await Task.Delay(300, Ct);
            }
        }, Ct);
        var outcome = await suite.LoadAsync("moving", workers: 4, steps, Ct);

        Assert.Empty(outcome.Failures);
        Assert.True(outcome.Served("stable") > 0 && outcome.Served("canary") > 0, $"stable {outcome.Served("stable")}, canary {outcome.Served("canary")}");
    }

    [Fact]
    public async Task A_canary_replica_killed_under_load_costs_no_request()
    {
        var ready = await suite.DeployAsync("killed", Stable, Canary, 50, Ct);
        var canaryPort = SuiteFixture.Port(ready.Status.Variants[VariantNames.Canary].Endpoints.Single());
        var canaryPid = suite.Replicas("killed").Single(pid => ReplicaProcesses.EnvironmentValue(pid, "PORT") == canaryPort);

        var kill = Task.Run(async () =>
        {
            await Task.Delay(500, Ct);
            ReplicaProcesses.Kill(canaryPid);
            await Task.Delay(2000, Ct);
        }, Ct);
        var outcome = await suite.LoadAsync("killed", workers: 4, kill, Ct);

        Assert.Empty(outcome.Failures);
        Assert.True(outcome.Served("stable") > 0);

        // The deployer restarts the canary and the gateway sends it traffic again.
        await suite.WaitForAsync("killed", d => d.Status.Phase == DeploymentPhase.Ready, cancellationToken: Ct);
        await suite.WaitForGatewaySyncAsync(Ct);
        Assert.Equal((200, "canary"), await suite.InferAsync("killed", "canary", Ct));
    }

    [Fact]
    public async Task Without_a_healthy_replica_the_gateway_answers_503_with_the_protocols_error_body()
    {
        await suite.DeployAsync("empty", suite.ModelVariant(replicas: 0), null, 0, Ct);

        using var response = await suite.Gateway.PostAsJsonAsync("/v2/models/empty/infer", SuiteFixture.AddMulInfer(), Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("no healthy replica", (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promote_and_rollback_are_followed_by_the_gateway()
    {
        var ready = await suite.DeployAsync("ops", Stable, Canary, 20, Ct);
        var canaryPid = Assert.Single(suite.Replicas("ops"), pid => ReplicaProcesses.EnvironmentValue(pid, "VARIANT") == "canary");

        (await suite.Client.PostAsync("/v1/deployments/ops/promote", null, Ct)).Dispose();
        await suite.WaitForAsync("ops", d => d.Status.ObservedRevision == 2, cancellationToken: Ct);
        await suite.WaitForGatewaySyncAsync(Ct);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal((200, "stable"), await suite.InferAsync("ops", null, Ct));
        }

        Assert.Equal([canaryPid], suite.Replicas("ops"));
        Assert.Equal(503, (await suite.InferAsync("ops", "canary", Ct)).Status);

        (await suite.Client.PutAsJsonAsync("/v1/deployments/ops", new { stable = Canary, canary = Stable, traffic = new { canary = 50 } }, Ct)).Dispose();
        await suite.WaitForAsync("ops", d => d.Status.ObservedRevision == 3 && d.Status.Phase == DeploymentPhase.Ready, cancellationToken: Ct);
        await suite.WaitForGatewaySyncAsync(Ct);
        (await suite.Client.PostAsync("/v1/deployments/ops/rollback", null, Ct)).Dispose();
        await suite.WaitForAsync("ops", d => d.Status.ObservedRevision == 4, cancellationToken: Ct);
        await suite.WaitForGatewaySyncAsync(Ct);

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal((200, "stable"), await suite.InferAsync("ops", null, Ct));
        }

        Assert.Equal([canaryPid], suite.Replicas("ops"));
        Assert.NotNull(ready);
    }

    [Fact]
    public async Task Delete_removes_the_model_from_the_gateway()
    {
        await suite.DeployAsync("gone", Stable, null, 0, Ct);

        (await suite.Client.DeleteAsync("/v1/deployments/gone", Ct)).Dispose();
        await suite.WaitForGoneAsync("gone", Ct);
        await suite.WaitForGatewaySyncAsync(Ct);

        using var response = await suite.Gateway.PostAsJsonAsync("/v2/models/gone/infer", SuiteFixture.AddMulInfer(), Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Gateway_metrics_count_requests_by_model_variant_and_status()
    {
        await suite.DeployAsync("counted", Stable, null, 0, Ct);
        await suite.InferAsync("counted", null, Ct);

        // A request is counted a moment after its answer reaches the caller.
        var counted = new System.Text.RegularExpressions.Regex("""gateway_requests_total\{[^}]*model="counted"[^}]*status_code="200"[^}]*variant="stable"[^}]*\} [1-9]""");
        var metrics = string.Empty;
        for (var attempt = 0; attempt < 100 && !counted.IsMatch(metrics); attempt++)
        {
            metrics = await suite.Gateway.GetStringAsync("/metrics", Ct);
            await Task.Delay(20, Ct);
        }

        Assert.Matches(counted, metrics);
        Assert.Matches("""gateway_request_duration_seconds_bucket\{[^}]*model="counted"[^}]*\}""", metrics);
        // Requests are measured once, by the gateway's own instruments, not again as HTTP server or client calls.
        Assert.DoesNotContain("http_client_request_duration", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("http_server_request_duration", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_keys_given_at_deploy_time_reach_the_gateway_as_hashes_and_guard_the_model()
    {
        var key = BearerTokens.Generate();
        using (var create = await suite.Client.PostAsJsonAsync("/v1/deployments", new
        {
            name = "guarded",
            stable = Stable,
            access = new { apiKeys = new[] { new { name = "team-a", sha256 = BearerTokens.Sha256Hex(key) } } },
        }, Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, create.StatusCode);
        }

        await suite.WaitForReadyAsync("guarded", Ct);
        await suite.WaitForGatewaySyncAsync(Ct);
        var route = (await suite.RoutesAsync(Ct)).Models.Single(model => model.Name == "guarded");
        Assert.Equal(BearerTokens.Sha256Hex(key), Assert.Single(route.ApiKeys!).Sha256);
        Assert.DoesNotContain(key, await suite.Client.GetStringAsync("/v1/routes", Ct), StringComparison.Ordinal);

        var (without, _) = await suite.InferAsync("guarded", null, Ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/guarded/infer") { Content = JsonContent.Create(SuiteFixture.AddMulInfer()) };
        request.Headers.Add("x-api-key", key);
        using var with = await suite.Gateway.SendAsync(request, Ct);

        Assert.Equal(401, without);
        Assert.Equal(HttpStatusCode.OK, with.StatusCode);
    }
}
