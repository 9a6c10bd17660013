using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Routing;
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
        var counters = new VariantCounters(new RouteTableState(TimeProvider.System), TimeProvider.System);
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
    public void Variants_the_routes_no_longer_have_are_reported_a_minute_more_then_forgotten_once_no_request_is_in_flight()
    {
        var clock = new ManualClock();
        var routes = new RouteTableState(clock);
        var counters = new VariantCounters(routes, clock);
        foreach (var (model, variant) in new[] { ("kept", "stable"), ("kept", "canary"), ("deleted", "stable"), ("busy", "stable") })
        {
            counters.Record(model, variant, RequestOutcome.Success, 0.004);
        }

        counters.AddInFlight("busy", "stable", 1);

        // The canary was promoted away, "deleted" and "busy" were deleted; "busy" still has a request in flight.
        routes.Routed(Table(("kept", [VariantNames.Stable])));
        Assert.Equal(4, counters.Snapshot().Count);
        // A request that finishes after its variant left is still reported.
        counters.Record("deleted", "stable", RequestOutcome.Success, 0.004);
        clock.Advance(VariantCounters.LeftRoutesGrace - TimeSpan.FromSeconds(1));
        Assert.Equal(2, counters.Snapshot().Single(v => v.Model == "deleted").Requests);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([("busy", "stable"), ("kept", "stable")], Keys(counters.Snapshot()));
        counters.AddInFlight("busy", "stable", -1);
        Assert.Equal([("kept", "stable")], Keys(counters.Snapshot()));
        Assert.Equal(["kept"], counters.InFlightNow().Select(m => (string)m.Tags.ToArray().Single(t => t.Key == GatewayMetricNames.ModelLabel).Value!));

        // A canary routed again starts from zero.
        routes.Routed(Table(("kept", [VariantNames.Stable, VariantNames.Canary])));
        counters.Record("kept", "canary", RequestOutcome.Success, 0.004);
        Assert.Equal(1, counters.Snapshot().Single(v => v.Variant == "canary").Requests);
    }

    [Fact]
    public async Task Prometheus_scrapes_the_series_the_deployer_queries()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults(meters: [GatewayMetrics.MeterName], httpClientMetrics: false);
        builder.Services.AddSingleton(TimeProvider.System).AddSingleton<RouteTableState>().AddSingleton<VariantCounters>().AddSingleton<GatewayMetrics>();
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

    private static RouteTable Table(params (string Model, string[] Variants)[] models) =>
        new(1, [.. models.Select(m => new ModelRoute(m.Model, [.. m.Variants.Select(v => new VariantRoute(v, 100, ["http://127.0.0.1:1"]))]))]);

    private static List<(string, string)> Keys(IEnumerable<VariantCounts> counts) =>
        [.. counts.Select(c => (c.Model, c.Variant)).Order()];

    private static int IndexOf(double bound) => GatewayMetricNames.LatencyBucketsSeconds.ToList().IndexOf(bound);
}
