using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Telemetry;
using ModelPlatform.Deployer.Telemetry.Embedded;

namespace ModelPlatform.Deployer.Tests.Telemetry;

/// <summary>The embedded adapter: gateways' cumulative reports become per-variant windows.</summary>
public sealed class GatewayReportsTests
{
    private static readonly int Buckets = GatewayMetricNames.LatencyBucketsSeconds.Count + 1;
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private readonly ManualClock _clock = new();
    private readonly GatewayReports _reports;

    public GatewayReportsTests() =>
        _reports = new GatewayReports(Options.Create(new TelemetryOptions { ReportExpiry = TimeSpan.FromSeconds(10) }), _clock);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reports_count_the_difference_from_the_gateways_previous_report()
    {
        Report("g1", 1, Counts("m", "stable", requests: 10));
        _clock.Advance(TimeSpan.FromSeconds(2));
        Report("g1", 2, Counts("m", "stable", requests: 25));

        var stable = await VariantAsync("m", "stable", Minute);

        Assert.Equal(25, stable.Requests);
        Assert.Equal(25 / 60.0, stable.RequestRate, 9);
    }

    [Fact]
    public async Task Two_gateways_add_up()
    {
        Report("g1", 1, Counts("m", "canary", requests: 10, server: 1, inFlight: 2));
        Report("g2", 1, Counts("m", "canary", requests: 30, server: 3, client: 4, transport: 2, inFlight: 5));

        var canary = await VariantAsync("m", "canary", Minute);

        Assert.Equal(40, canary.Requests);
        Assert.Equal(4, canary.ServerErrors);
        Assert.Equal(2, canary.TransportErrors);
        Assert.Equal(4, canary.ClientErrors);
        Assert.Equal(6 / 40.0, canary.ServerErrorRatio, 9);
        Assert.Equal(4 / 40.0, canary.ClientErrorRatio, 9);
        Assert.Equal(7, canary.InFlight);
        Assert.Equal(2, (await _reports.ReadAsync("m", Minute, Ct)).Gateways);
    }

    [Fact]
    public async Task A_window_holds_only_the_requests_reported_within_it()
    {
        // A gateway reporting every 5 s: 100 requests at once, then quiet, then 30 more 40 s later.
        var sequence = 1;
        Report("g1", sequence++, Counts("m", "stable", requests: 100));
        for (var i = 0; i < 8; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(5));
            Report("g1", sequence++, Counts("m", "stable", requests: i < 7 ? 100 : 130));
        }

        Assert.Equal(30, (await VariantAsync("m", "stable", TimeSpan.FromSeconds(30))).Requests);
        Assert.Equal(130, (await VariantAsync("m", "stable", Minute)).Requests);

        for (var i = 0; i < 6; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(5));
            Report("g1", sequence++, Counts("m", "stable", requests: 130));
        }

        Assert.Equal(30, (await VariantAsync("m", "stable", Minute)).Requests);
        Assert.Equal(0, (await VariantAsync("m", "stable", TimeSpan.FromSeconds(20))).Requests);
    }

    [Fact]
    public async Task A_gateway_that_stops_reporting_stops_counting()
    {
        Report("g1", 1, Counts("m", "stable", requests: 10, inFlight: 3));
        Report("g2", 1, Counts("m", "stable", requests: 10, inFlight: 4));
        _clock.Advance(TimeSpan.FromSeconds(8));
        Report("g2", 2, Counts("m", "stable", requests: 10, inFlight: 4));
        _clock.Advance(TimeSpan.FromSeconds(5));

        var reading = await _reports.ReadAsync("m", Minute, Ct);

        Assert.Equal(1, reading.Gateways);
        Assert.Equal(4, reading.Variants.Single().InFlight);
    }

    [Fact]
    public async Task A_gateway_first_seen_mid_life_sets_a_baseline_instead_of_counting_its_old_totals()
    {
        // The deployer restarted, or forgot the gateway: its totals since it started are not new requests.
        Report("g1", 40, Counts("m", "stable", requests: 5000));
        _clock.Advance(TimeSpan.FromSeconds(2));
        Report("g1", 41, Counts("m", "stable", requests: 5010));

        Assert.Equal(10, (await VariantAsync("m", "stable", Minute)).Requests);
    }

    [Fact]
    public async Task A_variant_a_gateway_stops_reporting_is_forgotten_and_counts_in_full_when_it_comes_back()
    {
        Report("g1", 1, Counts("m", "stable", requests: 10), Counts("m", "canary", requests: 50, inFlight: 3));
        _clock.Advance(TimeSpan.FromSeconds(2));
        // The canary left the routes: the gateway dropped its totals and its requests in flight.
        Report("g1", 2, Counts("m", "stable", requests: 12));
        Assert.Equal(0, (await VariantAsync("m", "canary", Minute)).InFlight);

        _clock.Advance(TimeSpan.FromSeconds(2));
        // A new canary, its totals started again from zero and no lower than the old one's in any field:
        // were the old ones its baseline, only the difference (10) would count.
        Report("g1", 3, Counts("m", "stable", requests: 12), Counts("m", "canary", requests: 60, bucket: (0, 50)));

        Assert.Equal(50 + 60, (await VariantAsync("m", "canary", Minute)).Requests);
    }

    [Fact]
    public async Task A_late_or_repeated_report_is_not_counted_twice()
    {
        Report("g1", 1, Counts("m", "stable", requests: 10));
        Report("g1", 2, Counts("m", "stable", requests: 20));
        Report("g1", 2, Counts("m", "stable", requests: 20));
        Report("g1", 1, Counts("m", "stable", requests: 10));

        Assert.Equal(20, (await VariantAsync("m", "stable", Minute)).Requests);
    }

    [Fact]
    public async Task Latency_quantiles_come_from_the_buckets_of_every_gateway()
    {
        // 0.005 s is the fourth bound, 0.01 s the fifth: 50 requests in each.
        Report("g1", 1, Counts("m", "stable", requests: 50, bucket: (3, 50)));
        Report("g2", 1, Counts("m", "stable", requests: 50, bucket: (4, 50)));

        var latency = (await VariantAsync("m", "stable", Minute)).LatencySeconds!;

        Assert.Equal(0.005, latency.P50, 9);
        Assert.Equal(0.005 + (0.005 * 40 / 50), latency.P90, 9);
        Assert.Equal(0.005 + (0.005 * 49 / 50), latency.P99, 9);
    }

    [Fact]
    public async Task Other_deployments_are_not_mixed_in_and_a_quiet_variant_has_no_latency()
    {
        Report("g1", 1, Counts("other", "stable", requests: 10), Counts("m", "stable", requests: 0, inFlight: 1));

        var reading = await _reports.ReadAsync("m", Minute, Ct);

        var stable = Assert.Single(reading.Variants);
        Assert.Equal(0, stable.Requests);
        Assert.Null(stable.LatencySeconds);
        Assert.Equal(1, stable.InFlight);
    }

    [Fact]
    public void Reports_from_more_gateways_than_allowed_are_refused()
    {
        var reports = new GatewayReports(Options.Create(new TelemetryOptions { MaxGateways = 1 }), _clock);

        Assert.True(reports.Accept(new GatewayTelemetryReport("g1", 1, [])));
        Assert.False(reports.Accept(new GatewayTelemetryReport("g2", 1, [])));
    }

    private void Report(string gateway, long sequence, params VariantCounts[] variants) =>
        Assert.True(_reports.Accept(new GatewayTelemetryReport(gateway, sequence, variants)));

    private async Task<VariantMetrics> VariantAsync(string model, string variant, TimeSpan window) =>
        (await _reports.ReadAsync(model, window, Ct)).Variants.Single(v => v.Variant == variant);

    private static VariantCounts Counts(
        string model, string variant, long requests, long server = 0, long client = 0, long transport = 0, long inFlight = 0, (int Index, long Count)? bucket = null)
    {
        var buckets = new long[Buckets];
        var (index, count) = bucket ?? (0, requests);
        buckets[index] = count;
        return new VariantCounts(model, variant, requests, client, server, transport, inFlight, buckets);
    }
}
