using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Telemetry;
using ModelPlatform.ServiceDefaults;

namespace ModelPlatform.Gateway.Tests.Telemetry;

/// <summary>What the gateway records per variant: the totals it reports, and the series Prometheus scrapes.</summary>
public sealed class GatewayMetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Totals_count_requests_by_outcome_with_latency_buckets_and_in_flight()
    {
        var counters = new VariantCounters();
        counters.Record("m", "canary", RequestOutcome.Success, 0.004);
        counters.Record("m", "canary", RequestOutcome.ClientError, 0.005);
        counters.Record("m", "canary", RequestOutcome.ServerError, 0.2);
        counters.Record("m", "canary", RequestOutcome.TransportError, 60);
        counters.AddInFlight("m", "canary", 2);
        counters.AddInFlight("m", "canary", -1);

        var canary = Assert.Single(counters.Snapshot());

        Assert.Equal((4L, 1L, 1L, 1L, 1L), (canary.Requests, canary.ClientErrors, canary.ServerErrors, canary.TransportErrors, canary.InFlight));
        var bounds = GatewayMetricNames.LatencyBucketsSeconds;
        Assert.Equal(bounds.Count + 1, canary.LatencyBuckets.Count);
        Assert.Equal(2, canary.LatencyBuckets[IndexOf(0.005)]);
        Assert.Equal(1, canary.LatencyBuckets[IndexOf(0.25)]);
        Assert.Equal(1, canary.LatencyBuckets[^1]);
    }

    [Fact]
    public async Task Prometheus_scrapes_the_series_the_deployer_queries()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults(meters: [GatewayMetrics.MeterName], httpClientMetrics: false);
        builder.Services.AddSingleton<VariantCounters>().AddSingleton<GatewayMetrics>();
        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync(Ct);
        var metrics = app.Services.GetRequiredService<GatewayMetrics>();
        metrics.Record("m", "stable", 502, RequestOutcome.TransportError, TimeSpan.FromMilliseconds(3));
        metrics.InFlight("m", "stable", 1);

        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri(app.Urls.First() + ServiceDefaultsExtensions.MetricsPath), Ct);

        Assert.Contains($"{GatewayMetricNames.Requests}{{otel_scope_name=\"ModelPlatform.Gateway\",model=\"m\",outcome=\"transport_error\",status_code=\"502\",variant=\"stable\"", text, StringComparison.Ordinal);
        Assert.Contains($"{GatewayMetricNames.DurationBuckets}{{otel_scope_name=\"ModelPlatform.Gateway\",model=\"m\",outcome=\"transport_error\",status_code=\"502\",variant=\"stable\",le=\"0.005\"}} 1", text, StringComparison.Ordinal);
        Assert.Contains($"{GatewayMetricNames.InFlight}{{otel_scope_name=\"ModelPlatform.Gateway\",model=\"m\",variant=\"stable\"", text, StringComparison.Ordinal);
        await app.StopAsync(Ct);
    }

    private static int IndexOf(double bound) => GatewayMetricNames.LatencyBucketsSeconds.ToList().IndexOf(bound);
}
