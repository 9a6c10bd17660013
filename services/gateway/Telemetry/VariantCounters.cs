using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Routing;

namespace ModelPlatform.Gateway.Telemetry;

/// <summary>
/// The gateway's own running totals per model and variant that the routes in force have, which
/// <see cref="TelemetryReporter"/> hands to the deployer. Recording is a dictionary lookup by a value
/// tuple and a few interlocked increments: nothing is allocated once a variant has been seen.
/// </summary>
internal sealed class VariantCounters(RouteTableState routes, TimeProvider time)
{
    /// <summary>How long the totals of a variant that left the routes are still reported: about thirty reports at the default interval.</summary>
    public static readonly TimeSpan LeftRoutesGrace = TimeSpan.FromMinutes(1);

    private static readonly double[] Bounds = [.. GatewayMetricNames.LatencyBucketsSeconds];

    private readonly ConcurrentDictionary<(string Model, string Variant), Cell> _cells = new();

    public void Record(string model, string variant, RequestOutcome outcome, double seconds)
    {
        var cell = CellOf(model, variant);
        Interlocked.Increment(ref cell.Requests);
        switch (outcome)
        {
            case RequestOutcome.ClientError: Interlocked.Increment(ref cell.ClientErrors); break;
            case RequestOutcome.ServerError: Interlocked.Increment(ref cell.ServerErrors); break;
            case RequestOutcome.TransportError: Interlocked.Increment(ref cell.TransportErrors); break;
            default: break;
        }

        Interlocked.Increment(ref cell.Buckets[BucketOf(seconds)]);
    }

    public void AddInFlight(string model, string variant, long delta) => Interlocked.Add(ref CellOf(model, variant).InFlight, delta);

    /// <summary>Every routed variant's requests in flight now, as <c>gateway.requests.in_flight</c> exports them.</summary>
    public IEnumerable<Measurement<long>> InFlightNow()
    {
        ForgetUnrouted();
        return _cells.Select(static pair => new Measurement<long>(
            Interlocked.Read(ref pair.Value.InFlight),
            new KeyValuePair<string, object?>(GatewayMetricNames.ModelLabel, pair.Key.Model),
            new KeyValuePair<string, object?>(GatewayMetricNames.VariantLabel, pair.Key.Variant)));
    }

    /// <summary>Every routed variant's totals now.</summary>
    public IReadOnlyList<VariantCounts> Snapshot()
    {
        ForgetUnrouted();
        return [.. _cells.Select(static pair => pair.Value.Read(pair.Key.Model, pair.Key.Variant))];
    }

    /// <summary>
    /// Drops the totals of the variants the routes in force no longer have (a deleted model, a
    /// promoted or removed canary), <see cref="LeftRoutesGrace"/> after they left and once none of
    /// their requests is in flight, so they stop being reported and exported and cells do not pile up
    /// as models come and go. Until then they are still reported, so the requests they finished since
    /// the last report, and any report lost meanwhile, are counted. One that comes back later starts
    /// again from zero, which the deployer reads as new counts (it forgets what a gateway stops reporting).
    /// </summary>
    private void ForgetUnrouted()
    {
        if (routes.Serving is not { } table)
        {
            return;
        }

        HashSet<(string, string)>? routed = null;
        var now = time.GetUtcNow().UtcTicks;
        foreach (var (key, cell) in _cells)
        {
            routed ??= [.. table.Models.SelectMany(model => model.Variants.Select(variant => (model.Name, variant.Name)))];
            if (routed.Contains(key))
            {
                // Written only when it comes back: a routed variant's cell is otherwise left alone (its line is the hot path's).
                if (Interlocked.Read(ref cell.LeftRoutesAt) != 0)
                {
                    Interlocked.Exchange(ref cell.LeftRoutesAt, 0);
                }
            }
            else if (Interlocked.CompareExchange(ref cell.LeftRoutesAt, now, 0) is var left and not 0 &&
                now - left >= LeftRoutesGrace.Ticks &&
                // At most zero: a request that ended after its cell was dropped leaves -1 in a new cell, which goes too.
                Interlocked.Read(ref cell.InFlight) <= 0)
            {
                _cells.TryRemove(new KeyValuePair<(string, string), Cell>(key, cell));
            }
        }
    }

    /// <summary>The bucket a latency falls in: the first bound at or above it, or the last (slower than every bound).</summary>
    internal static int BucketOf(double seconds)
    {
        var index = Array.BinarySearch(Bounds, seconds);
        return index >= 0 ? index : ~index;
    }

    private Cell CellOf(string model, string variant) =>
        _cells.TryGetValue((model, variant), out var cell) ? cell : _cells.GetOrAdd((model, variant), static _ => new Cell());

    private sealed class Cell
    {
        public long Requests;
        public long ClientErrors;
        public long ServerErrors;
        public long TransportErrors;
        public long InFlight;

        /// <summary>When (UTC ticks) the variant was first seen gone from the routes; 0 while it is routed.</summary>
        public long LeftRoutesAt;

        public readonly long[] Buckets = new long[Bounds.Length + 1];

        public VariantCounts Read(string model, string variant) => new(
            model, variant, Interlocked.Read(ref Requests), Interlocked.Read(ref ClientErrors), Interlocked.Read(ref ServerErrors),
            Interlocked.Read(ref TransportErrors), Interlocked.Read(ref InFlight),
            [.. Enumerable.Range(0, Buckets.Length).Select(i => Interlocked.Read(ref Buckets[i]))]);
    }
}
