using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Mirroring;

/// <summary>
/// The mirror share on a real deployer: validated, carried in the route table with the canary's
/// replica set, and <c>GET /v1/deployments/{name}/comparison</c> summing the gateways' comparison
/// reports for the current canary only.
/// </summary>
public sealed class ComparisonApiTests(DeployerFixture deployer) : IClassFixture<DeployerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Mirror_travels_in_the_route_table_with_the_canary_replica_set_and_shows_in_the_traffic()
    {
        (await deployer.CreateAsync("mirrored", deployer.ModelVariant(), deployer.ModelVariant(env: new() { ["V"] = "2" }), Ct)).Dispose();
        await deployer.WaitForReadyAsync("mirrored", Ct);

        using var put = await deployer.Client.PutAsJsonAsync("/v1/deployments/mirrored/traffic", new { canary = 0, mirror = 100 }, Ct);
        var moved = await deployer.WaitForAsync("mirrored", d => d.Status.ObservedRevision == 2, cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        Assert.Equal(new TrafficSplit(100, 0, 100), moved.Traffic);
        var route = Assert.Single((await deployer.RoutesAsync(Ct)).Models, m => m.Name == "mirrored");
        Assert.Equal(100, route.Mirror);
        Assert.All(route.Variants, variant => Assert.StartsWith("mirrored-", variant.ReplicaSet, StringComparison.Ordinal));
        Assert.NotEqual(route.Variants[0].ReplicaSet, route.Variants[1].ReplicaSet);

        using var rollback = await deployer.Client.PostAsync("/v1/deployments/mirrored/rollback", null, Ct);
        var rolledBack = await deployer.WaitForAsync("mirrored", d => d.Status.ObservedRevision == 3, cancellationToken: Ct);
        Assert.Equal(new TrafficSplit(100, 0, 0), rolledBack.Traffic);
        Assert.Equal(0, Assert.Single((await deployer.RoutesAsync(Ct)).Models, m => m.Name == "mirrored").Mirror);
    }

    [Fact]
    public async Task A_mirror_share_out_of_range_or_without_a_canary_is_400_naming_traffic_mirror()
    {
        (await deployer.CreateAsync("unmirrored", deployer.ModelVariant(), cancellationToken: Ct)).Dispose();

        using var outOfRange = await deployer.Client.PutAsJsonAsync("/v1/deployments/unmirrored/traffic", new { canary = 0, mirror = 101 }, Ct);
        using var noCanary = await deployer.Client.PutAsJsonAsync("/v1/deployments/unmirrored/traffic", new { canary = 0, mirror = 10 }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, outOfRange.StatusCode);
        Assert.Contains("between 0 and 100", Errors(await DeployerHarness.ProblemAsync(outOfRange, Ct)), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noCanary.StatusCode);
        Assert.Contains("canary", Errors(await DeployerHarness.ProblemAsync(noCanary, Ct)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_comparison_sums_the_gateways_reports_and_starts_afresh_with_a_new_canary()
    {
        (await deployer.CreateAsync("shadow", deployer.ModelVariant(), deployer.ModelVariant(env: new() { ["V"] = "2" }), Ct)).Dispose();
        await deployer.WaitForReadyAsync("shadow", Ct);
        var canary = CanarySet(await deployer.RoutesAsync(Ct), "shadow");

        await ReportAsync(new GatewayComparisonReport("gw-a", 1, [Counts("shadow", canary, compared: 8, disagreeing: 2, "a-worst", 0.5)]));
        await ReportAsync(new GatewayComparisonReport("gw-b", 1, [Counts("shadow", canary, compared: 2, disagreeing: 0, "b-worst", 1e-6)]));
        // A later report of a gateway replaces its earlier one: counts are cumulative.
        await ReportAsync(new GatewayComparisonReport("gw-b", 2, [Counts("shadow", canary, compared: 12, disagreeing: 0, "b-worst", 1e-6)]));

        var comparison = await ReadAsync("shadow");
        Assert.Equal((canary, 20L, 2L), (comparison.Canary, comparison.Compared, comparison.Disagreeing));
        Assert.Equal(0.1, comparison.DisagreementRate!.Value, 9);
        Assert.Equal(0.9, comparison.AgreementRate!.Value, 9);
        Assert.Equal(("a-worst", 0.5), (comparison.Worst[0].RequestId, comparison.Worst[0].MaxAbsDiff));
        Assert.Equal(ComparisonBuckets.MaxAbsDiffBounds.Count + 1, comparison.MaxAbsDiff.Count);
        Assert.Null(comparison.MaxAbsDiff[^1].Le);
        Assert.Equal(20, comparison.MaxAbsDiff.Sum(bucket => bucket.Count));

        using var replace = await deployer.Client.PutAsJsonAsync("/v1/deployments/shadow",
            new { name = "shadow", stable = deployer.ModelVariant(), canary = deployer.ModelVariant(env: new() { ["V"] = "3" }) }, Ct);
        await deployer.WaitForAsync("shadow", d => d.Status.ObservedRevision == 2 && d.Status.Phase == DeploymentPhase.Ready, cancellationToken: Ct);
        var newCanary = CanarySet(await deployer.RoutesAsync(Ct), "shadow");
        Assert.NotEqual(canary, newCanary);
        await ReportAsync(new GatewayComparisonReport("gw-a", 3, [Counts("shadow", canary, compared: 30, disagreeing: 3, "late", 0.5)]));

        var fresh = await ReadAsync("shadow");
        Assert.Equal((newCanary, 0L, 0L), (fresh.Canary, fresh.Compared, fresh.Mirrored));
        Assert.Null(fresh.DisagreementRate);
        Assert.Empty(fresh.Worst);
    }

    [Fact]
    public async Task Only_gateways_report_comparisons_readers_read_them_and_a_bad_report_names_its_field()
    {
        var report = new GatewayComparisonReport("gw-roles", 1, []);
        using (var refused = await SendAsync("reader", HttpMethod.Post, "/v1/telemetry/comparisons", report))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using (var unknown = await SendAsync("reader", HttpMethod.Get, "/v1/deployments/nobody/comparison"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        var bad = new GatewayComparisonReport("gw-roles", 1, [Counts("m", "m-1", compared: 1, disagreeing: 2, "x", 0) with { MaxAbsDiffBuckets = [1] }]);
        using var invalid = await SendAsync("gateway", HttpMethod.Post, "/v1/telemetry/comparisons", bad);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var errors = (await DeployerHarness.ProblemAsync(invalid, Ct))["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("models[0].compared") && errors.ContainsKey("models[0].maxAbsDiffBuckets"), errors.ToJsonString());
    }

    private static ComparisonCounts Counts(string model, string canary, long compared, long disagreeing, string worstId, double worstDiff)
    {
        var buckets = new long[ComparisonBuckets.MaxAbsDiffBounds.Count + 1];
        buckets[0] = compared;
        return new ComparisonCounts(model, canary, compared, 0, 0, 0, 0, compared, compared - disagreeing, 0, 0, disagreeing, buckets,
            [new ComparisonExample(worstId, DateTimeOffset.UtcNow, "y", worstDiff, worstDiff, worstDiff < 1e-3, null, null)]);
    }

    private static string CanarySet(RouteTable routes, string name) =>
        Assert.Single(routes.Models, m => m.Name == name).Variants.Single(v => v.Name == VariantNames.Canary).ReplicaSet!;

    private static string Errors(System.Text.Json.Nodes.JsonObject problem) => problem["errors"]!["traffic.mirror"]![0]!.GetValue<string>();

    private async Task<DeploymentComparison> ReadAsync(string name)
    {
        using var response = await SendAsync("reader", HttpMethod.Get, $"/v1/deployments/{name}/comparison");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<DeploymentComparison>(DeployerHarness.Json, Ct))!;
    }

    private async Task ReportAsync(GatewayComparisonReport report)
    {
        using var response = await SendAsync("gateway", HttpMethod.Post, "/v1/telemetry/comparisons", report);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private async Task<HttpResponseMessage> SendAsync(string role, HttpMethod method, string path, object? body = null)
    {
        using var http = new HttpClient { BaseAddress = deployer.BaseAddress };
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body, options: DeployerHarness.Json) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", DeployerHarness.Tokens[role]);
        return await http.SendAsync(request, Ct);
    }
}
