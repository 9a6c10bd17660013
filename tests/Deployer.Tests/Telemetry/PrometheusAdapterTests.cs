using System.Diagnostics;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Telemetry;
using ModelPlatform.Deployer.Telemetry.Prometheus;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Telemetry;

/// <summary>The Prometheus adapter against a real Prometheus server scraping a stand-in gateway.</summary>
public sealed class PrometheusAdapterTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Per_variant_rates_error_ratios_quantiles_and_in_flight_come_from_prometheus()
    {
        using var gateway = new GatewayMetricsStandIn();
        await using var prometheus = await PrometheusServer.StartAsync(gateway.Url, Ct);
        await prometheus.WaitForScrapeAsync(Ct);
        using var http = new HttpClient { BaseAddress = prometheus.Url };
        var adapter = Adapter(http, selector: "job=\"gateway\"");

        var reading = await ReadUntilBothVariantsHaveLatencyAsync(adapter);

        var stable = reading.Variants.Single(v => v.Variant == VariantNames.Stable);
        var canary = reading.Variants.Single(v => v.Variant == VariantNames.Canary);
        Assert.True(stable.Requests > 0 && stable.RequestRate > 0, $"stable: {stable}");
        Assert.Equal(0.1, stable.ServerErrorRatio, 2);
        Assert.Equal(0.1, stable.ClientErrorRatio, 2);
        Assert.True(stable.TransportErrors > 0 && stable.ServerErrors > stable.TransportErrors, $"stable: {stable}");
        Assert.Equal(0.0075, stable.LatencySeconds!.P50, 6);
        Assert.Equal(0.0095, stable.LatencySeconds.P90, 6);
        Assert.Equal(0.00995, stable.LatencySeconds.P99, 6);
        Assert.Equal(3, stable.InFlight);
        Assert.Equal(0, canary.ServerErrorRatio);
        Assert.Equal(0.075, canary.LatencySeconds!.P50, 6);
        Assert.Equal(1, canary.InFlight);
        Assert.Equal("prometheus", adapter.Source);

        // The selector narrows every query: a job that does not exist has no series.
        Assert.Empty((await Adapter(http, selector: "job=\"elsewhere\"").ReadAsync("m", Window, Ct)).Variants);
        Assert.Empty((await adapter.ReadAsync("another-deployment", Window, Ct)).Variants);
    }

    [Fact]
    public async Task A_prometheus_that_cannot_be_reached_is_telemetry_unavailable_naming_it()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{FreePort.Next()}/") };

        var error = await Assert.ThrowsAsync<TelemetryUnavailableException>(() => Adapter(http, selector: null).ReadAsync("m", Window, Ct));

        Assert.Contains(http.BaseAddress.ToString(), error.Message, StringComparison.Ordinal);
    }

    private static PrometheusVariantTelemetry Adapter(HttpClient http, string? selector) =>
        new(http, Options.Create(new TelemetryOptions
        {
            Source = TelemetrySource.Prometheus,
            Prometheus = new PrometheusTelemetryOptions { Url = http.BaseAddress!.ToString(), Selector = selector },
        }));

    /// <summary>rate() needs two scrapes in the window; until then a variant has no quantile.</summary>
    private static async Task<TelemetryReading> ReadUntilBothVariantsHaveLatencyAsync(PrometheusVariantTelemetry adapter)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var reading = await adapter.ReadAsync("m", Window, Ct);
            if (reading.Variants.Count == 2 && reading.Variants.All(v => v.LatencySeconds is not null))
            {
                return reading;
            }

            if (waited.Elapsed > TimeSpan.FromSeconds(60))
            {
                Assert.Fail($"Prometheus gave no latency for both variants within 60 s: {string.Join("; ", reading.Variants)}");
            }

            await Task.Delay(500, Ct);
        }
    }
}
