using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Telemetry.Embedded;

/// <summary>
/// The embedded adapter: gateways report their cumulative counts, and each report's difference from
/// the same gateway's previous one is added to the current time slot of each variant, so gateways
/// add up. A gateway that has not reported for <see cref="TelemetryOptions.ReportExpiry"/> is
/// forgotten: its requests in flight no longer count, and a report from it later starts a new
/// baseline. A gateway's first report counts in full only if it is the process's first
/// (<see cref="GatewayTelemetryReport.Sequence"/> 1); otherwise (the deployer restarted, or had
/// forgotten it) it is only the baseline, so old totals are not taken for new requests.
/// </summary>
internal sealed class GatewayReports(IOptions<TelemetryOptions> options, TimeProvider time) : IVariantTelemetry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, GatewayState> _gateways = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Model, string Variant), VariantRing> _rings = [];

    public string Source => "embedded";

    /// <summary>Takes a validated report; false when it would exceed <see cref="TelemetryOptions.MaxGateways"/>.</summary>
    public bool Accept(GatewayTelemetryReport report)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var epoch = now.Ticks / settings.Resolution.Ticks;
        lock (_lock)
        {
            Expire(now, epoch);
            if (!_gateways.TryGetValue(report.Gateway, out var gateway))
            {
                if (_gateways.Count >= settings.MaxGateways)
                {
                    return false;
                }

                gateway = new GatewayState();
                _gateways[report.Gateway] = gateway;
            }
            else if (report.Sequence <= gateway.Sequence)
            {
                // A late or repeated report: what it says is already counted.
                gateway.LastSeen = now;
                return true;
            }

            var counts = gateway.Sequence > 0 || report.Sequence == 1;
            gateway.Sequence = report.Sequence;
            gateway.LastSeen = now;
            Span<long> delta = stackalloc long[CountVector.Length];
            foreach (var variant in report.Variants)
            {
                var key = (variant.Model, variant.Variant);
                var current = CountVector.Of(variant);
                gateway.InFlight[key] = variant.InFlight;
                var previous = gateway.Totals.GetValueOrDefault(key);
                gateway.Totals[key] = current;
                if (!counts && previous is null)
                {
                    continue;
                }

                if (Difference(current, previous, delta))
                {
                    RingOf(key, settings).Add(epoch, delta);
                }
            }

            ForgetUnreported(gateway, report);
        }

        return true;
    }

    public Task<TelemetryReading> ReadAsync(string deployment, TimeSpan window, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var epoch = now.Ticks / settings.Resolution.Ticks;
        var slots = (long)Math.Ceiling(window.Ticks / (double)settings.Resolution.Ticks);
        var variants = new List<VariantMetrics>();
        int gateways;
        lock (_lock)
        {
            Expire(now, epoch);
            gateways = _gateways.Count;
            var names = _rings.Keys.Where(key => key.Model == deployment).Select(key => key.Variant)
                .Concat(_gateways.Values.SelectMany(g => g.InFlight.Keys).Where(key => key.Model == deployment).Select(key => key.Variant))
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
            Span<long> sum = stackalloc long[CountVector.Length];
            foreach (var variant in names)
            {
                sum.Clear();
                _rings.GetValueOrDefault((deployment, variant))?.Sum(epoch - slots + 1, epoch, sum);
                var inFlight = _gateways.Values.Sum(g => g.InFlight.GetValueOrDefault((deployment, variant)));
                variants.Add(Metrics(variant, sum, window, inFlight));
            }
        }

        return Task.FromResult(new TelemetryReading(variants, gateways));
    }

    private static VariantMetrics Metrics(string variant, ReadOnlySpan<long> sum, TimeSpan window, long inFlight)
    {
        var requests = sum[CountVector.Requests];
        var buckets = sum[CountVector.FirstBucket..];
        var bounds = GatewayMetricNames.LatencyBucketsSeconds;
        var latency = requests == 0
            ? null
            : new LatencyQuantiles(
                HistogramQuantile.Estimate(0.5, bounds, buckets)!.Value,
                HistogramQuantile.Estimate(0.9, bounds, buckets)!.Value,
                HistogramQuantile.Estimate(0.99, bounds, buckets)!.Value);
        return new VariantMetrics(
            variant,
            requests,
            requests / window.TotalSeconds,
            sum[CountVector.ServerErrors],
            sum[CountVector.TransportErrors],
            sum[CountVector.ClientErrors],
            Ratio(sum[CountVector.ServerErrors] + sum[CountVector.TransportErrors], requests),
            Ratio(sum[CountVector.ClientErrors], requests),
            latency,
            inFlight);
    }

    private static double Ratio(long part, long whole) => whole == 0 ? 0 : (double)part / whole;

    /// <summary>
    /// A report holds every variant the gateway counts; one it no longer holds, it forgot (its model or
    /// canary left the routes), and counts again from zero if it comes back: its old totals must not be
    /// the baseline then, nor its requests in flight count meanwhile. Were every report that left it
    /// out lost, its return would still meet the old totals: counted as a restart if any total went
    /// down, as a difference (too little) otherwise.
    /// </summary>
    private static void ForgetUnreported(GatewayState gateway, GatewayTelemetryReport report)
    {
        // Every reported variant is in the totals: when they are as many, none is missing.
        if (gateway.Totals.Count == report.Variants.Count)
        {
            return;
        }

        var reported = report.Variants.Select(variant => (variant.Model, variant.Variant)).ToHashSet();
        foreach (var key in gateway.Totals.Keys.Where(key => !reported.Contains(key)).ToList())
        {
            gateway.Totals.Remove(key);
            gateway.InFlight.Remove(key);
        }
    }

    /// <summary>
    /// current minus previous; a total that went down means the counts started again (they never
    /// do within one process), so the current totals are all new.
    /// </summary>
    private static bool Difference(long[] current, long[]? previous, Span<long> delta)
    {
        var reset = false;
        for (var i = 0; i < current.Length; i++)
        {
            delta[i] = current[i] - (previous?[i] ?? 0);
            reset |= delta[i] < 0;
        }

        if (reset)
        {
            current.CopyTo(delta);
        }

        foreach (var value in delta)
        {
            if (value != 0)
            {
                return true;
            }
        }

        return false;
    }

    private VariantRing RingOf((string Model, string Variant) key, TelemetryOptions settings)
    {
        if (!_rings.TryGetValue(key, out var ring))
        {
            ring = new VariantRing(settings.Slots);
            _rings[key] = ring;
        }

        return ring;
    }

    /// <summary>Forgets gateways that stopped reporting and variants with nothing in the longest window.</summary>
    private void Expire(DateTimeOffset now, long epoch)
    {
        var settings = options.Value;
        foreach (var (name, gateway) in _gateways)
        {
            if (now - gateway.LastSeen > settings.ReportExpiry)
            {
                _gateways.Remove(name);
            }
        }

        foreach (var (key, ring) in _rings)
        {
            if (ring.Newest < epoch - settings.Slots)
            {
                _rings.Remove(key);
            }
        }
    }

    private sealed class GatewayState
    {
        public long Sequence { get; set; }

        public DateTimeOffset LastSeen { get; set; }

        public Dictionary<(string Model, string Variant), long[]> Totals { get; } = [];

        public Dictionary<(string Model, string Variant), long> InFlight { get; } = [];
    }
}
