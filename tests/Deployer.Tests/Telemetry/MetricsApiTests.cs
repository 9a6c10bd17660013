using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Telemetry;

/// <summary>
/// <c>GET /v1/deployments/{name}/metrics</c> and <c>POST /v1/telemetry/reports</c> on a real deployer
/// with embedded telemetry: gateways' reports add up, the window is validated, roles are enforced.
/// </summary>
public sealed class MetricsApiTests(DeployerFixture deployer) : IClassFixture<DeployerFixture>
{
    private static readonly long[] TenFast = [.. Enumerable.Range(0, GatewayMetricNames.LatencyBucketsSeconds.Count + 1).Select(i => i == 4 ? 10L : 0L)];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reports_of_two_gateways_add_up_per_variant_and_every_variant_is_listed()
    {
        (await deployer.CreateAsync("metered", deployer.ModelVariant(), deployer.ModelVariant(env: new() { ["V"] = "2" }), Ct)).Dispose();
        await ReportAsync("gateway", new GatewayTelemetryReport("gw-a", 1, [new VariantCounts("metered", VariantNames.Stable, 10, 1, 2, 1, 4, TenFast)]));
        await ReportAsync("gateway", new GatewayTelemetryReport("gw-b", 1, [new VariantCounts("metered", VariantNames.Stable, 10, 1, 0, 0, 1, TenFast)]));

        using var response = await SendAsync("reader", HttpMethod.Get, "/v1/deployments/metered/metrics?window=30s");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var metrics = (await response.Content.ReadFromJsonAsync<DeploymentMetrics>(DeployerHarness.Json, Ct))!;
        Assert.Equal(("embedded", 30.0, 2), (metrics.Source, metrics.WindowSeconds, metrics.Gateways));
        var stable = metrics.Variants.Single(v => v.Variant == VariantNames.Stable);
        Assert.Equal((20L, 2L, 1L, 2L, 5L), (stable.Requests, stable.ServerErrors, stable.TransportErrors, stable.ClientErrors, stable.InFlight));
        Assert.Equal(0.15, stable.ServerErrorRatio, 9);
        Assert.Equal(0.1, stable.ClientErrorRatio, 9);
        Assert.NotNull(stable.LatencySeconds);
        var canary = metrics.Variants.Single(v => v.Variant == VariantNames.Canary);
        Assert.Equal(0, canary.Requests);
        Assert.Null(canary.LatencySeconds);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("1s")]
    [InlineData("2h")]
    [InlineData("soon")]
    public async Task A_window_out_of_bounds_or_malformed_is_400_naming_window(string window)
    {
        using var response = await SendAsync("reader", HttpMethod.Get, $"/v1/deployments/anything/metrics?window={window}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await DeployerHarness.ProblemAsync(response, Ct);
        Assert.Contains("5s to 10m", problem["errors"]!["window"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_deployment_is_404()
    {
        using var response = await SendAsync("reader", HttpMethod.Get, "/v1/deployments/nobody/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Only_the_gateway_and_admin_roles_may_report_and_a_bad_report_names_its_field()
    {
        var report = new GatewayTelemetryReport("gw-roles", 1, []);
        foreach (var role in new[] { "reader", "deployer", "operator" })
        {
            using var refused = await SendAsync(role, HttpMethod.Post, "/v1/telemetry/reports", report);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using (var anonymous = await SendAsync(null, HttpMethod.Post, "/v1/telemetry/reports", report))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using (var reading = await SendAsync("gateway", HttpMethod.Get, "/v1/deployments/nobody/metrics"))
        {
            Assert.Equal(HttpStatusCode.NotFound, reading.StatusCode);
        }

        var bad = new GatewayTelemetryReport("gw-roles", 1, [new VariantCounts("m", VariantNames.Stable, 1, 0, 2, 0, 0, [1])]);
        using var invalid = await SendAsync("admin", HttpMethod.Post, "/v1/telemetry/reports", bad);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var errors = (await DeployerHarness.ProblemAsync(invalid, Ct))["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("variants[0].requests") && errors.ContainsKey("variants[0].latencyBuckets"), errors.ToJsonString());
    }

    private async Task ReportAsync(string role, GatewayTelemetryReport report)
    {
        using var response = await SendAsync(role, HttpMethod.Post, "/v1/telemetry/reports", report);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private async Task<HttpResponseMessage> SendAsync(string? role, HttpMethod method, string path, object? body = null)
    {
        using var http = new HttpClient { BaseAddress = deployer.BaseAddress };
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body, options: DeployerHarness.Json) };
        if (role is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", DeployerHarness.Tokens[role]);
        }

        return await http.SendAsync(request, Ct);
    }
}
