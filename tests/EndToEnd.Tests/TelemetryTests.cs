using System.Net;
using System.Net.Http.Json;
using ModelPlatform.Contracts;

namespace ModelPlatform.EndToEnd.Tests;

/// <summary>What a live gateway serves reaches the deployer's per-variant metrics, with nothing between them but their own reports.</summary>
public sealed class TelemetryTests(SuiteFixture suite) : IClassFixture<SuiteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_deployer_counts_per_variant_what_the_gateway_served_and_tells_client_errors_apart()
    {
        await suite.DeployAsync("measured", suite.ModelVariant(), suite.ModelVariant(env: new() { ["VARIANT"] = "canary" }), 50, Ct);
        var served = new Dictionary<string, long> { [VariantNames.Stable] = 0, [VariantNames.Canary] = 0 };
        for (var i = 0; i < 30; i++)
        {
            var (status, variant) = await suite.InferAsync("measured", null, Ct);
            Assert.Equal(200, status);
            served[variant]++;
        }

        // A request the model refuses (no inputs): the canary's client error, not a server error.
        using var refused = new HttpRequestMessage(HttpMethod.Post, "/v2/models/measured/infer") { Content = JsonContent.Create(new { inputs = Array.Empty<object>() }) };
        refused.Headers.Add("x-model-variant", VariantNames.Canary);
        using (var answer = await suite.Gateway.SendAsync(refused, Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        }

        var metrics = await WaitForAsync(m => Requests(m, VariantNames.Stable) + Requests(m, VariantNames.Canary) >= 31);

        var stable = metrics.Variants.Single(v => v.Variant == VariantNames.Stable);
        var canary = metrics.Variants.Single(v => v.Variant == VariantNames.Canary);
        Assert.Equal(served[VariantNames.Stable], stable.Requests);
        Assert.Equal(served[VariantNames.Canary] + 1, canary.Requests);
        Assert.Equal((0L, 0L), (stable.ClientErrors, stable.ServerErrors));
        Assert.Equal((1L, 0L), (canary.ClientErrors, canary.ServerErrors));
        Assert.NotNull(stable.LatencySeconds);
        Assert.Equal(1, metrics.Gateways);
    }

    private static long Requests(DeploymentMetrics metrics, string variant) =>
        metrics.Variants.SingleOrDefault(v => v.Variant == variant)?.Requests ?? 0;

    private async Task<DeploymentMetrics> WaitForAsync(Func<DeploymentMetrics, bool> condition)
    {
        // Gateways report every two seconds; a few reports are plenty.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var metrics = (await suite.Client.GetFromJsonAsync<DeploymentMetrics>("/v1/deployments/measured/metrics?window=5m", Ct))!;
            if (condition(metrics) || DateTime.UtcNow > deadline)
            {
                return metrics;
            }

            await Task.Delay(250, Ct);
        }
    }
}
