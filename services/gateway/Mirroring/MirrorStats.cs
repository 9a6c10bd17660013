using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Mirroring.Comparison;
using ModelPlatform.Gateway.Telemetry;

namespace ModelPlatform.Gateway.Mirroring;

/// <summary>
/// What mirroring did, per model and canary: exported as counters by model for Prometheus, and kept
/// as running totals (with the difference histogram and the worst pairs) that
/// <see cref="ComparisonReporter"/> hands to the deployer.
/// </summary>
internal sealed class MirrorStats
{
    private static readonly double[] Bounds = [.. ComparisonBuckets.MaxAbsDiffBounds];

    private readonly ConcurrentDictionary<(string Model, string Canary), Cell> _cells = new();
    private readonly int _worstExamples;
    private readonly TimeProvider _time;
    private readonly Counter<long> _mirrored;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _skipped;
    private readonly Counter<long> _canaryErrors;
    private readonly Counter<long> _compared;
    private readonly Counter<long> _disagreed;

    public MirrorStats(IMeterFactory meters, IOptions<MirrorOptions> options, TimeProvider time)
    {
        _worstExamples = options.Value.WorstExamples;
        _time = time;
        var meter = meters.Create(GatewayMetrics.MeterName);
        _mirrored = meter.CreateCounter<long>("gateway.mirror.mirrored", "{request}", "Requests stable served that were copied to the canary.");
        _dropped = meter.CreateCounter<long>("gateway.mirror.dropped", "{request}", "Copies dropped because the mirror queue was full.");
        _skipped = meter.CreateCounter<long>("gateway.mirror.skipped", "{request}", "Copies not made or not compared (reason: too_large, uncomparable).");
        _canaryErrors = meter.CreateCounter<long>("gateway.mirror.canary_errors", "{request}", "Copies the canary failed: no replica, transport failure, timeout or another status than stable's.");
        _compared = meter.CreateCounter<long>("gateway.mirror.compared", "{request}", "Pairs of answers compared tensor by tensor.");
        _disagreed = meter.CreateCounter<long>("gateway.mirror.disagreed", "{request}", "Compared pairs outside tolerance, with another arg-max or another structure.");
    }

    public void Mirrored(MirrorTarget target)
    {
        Interlocked.Increment(ref CellOf(target).Mirrored);
        _mirrored.Add(1, Model(target));
    }

    public void Dropped(MirrorTarget target)
    {
        Interlocked.Increment(ref CellOf(target).Dropped);
        _dropped.Add(1, Model(target));
    }

    public void TooLarge(MirrorTarget target)
    {
        Interlocked.Increment(ref CellOf(target).TooLarge);
        _skipped.Add(1, Model(target), new KeyValuePair<string, object?>("reason", "too_large"));
    }

    public void CanaryError(MirrorTarget target)
    {
        Interlocked.Increment(ref CellOf(target).CanaryErrors);
        _canaryErrors.Add(1, Model(target));
    }

    public void Uncomparable(MirrorTarget target)
    {
        Interlocked.Increment(ref CellOf(target).Uncomparable);
        _skipped.Add(1, Model(target), new KeyValuePair<string, object?>("reason", "uncomparable"));
    }

    public void Compared(MirrorTarget target, string requestId, PairComparison result)
    {
        var cell = CellOf(target);
        Interlocked.Increment(ref cell.Compared);
        if (result.Mismatch is null && result.WithinTolerance)
        {
            Interlocked.Increment(ref cell.WithinTolerance);
        }

        if (result.ArgmaxAgrees is { } agrees)
        {
            Interlocked.Increment(ref cell.ArgmaxCompared);
            if (agrees)
            {
                Interlocked.Increment(ref cell.ArgmaxAgreed);
            }
        }

        Interlocked.Increment(ref cell.Buckets[result.Mismatch is null ? BucketOf(result.MaxAbsDiff) : Bounds.Length]);
        _compared.Add(1, Model(target));
        if (result.Disagrees)
        {
            Interlocked.Increment(ref cell.Disagreeing);
            _disagreed.Add(1, Model(target));
        }

        if (_worstExamples > 0 && (result.Disagrees || result.MaxAbsDiff > 0))
        {
            cell.Offer(new ComparisonExample(requestId, _time.GetUtcNow(), result.Output, result.MaxAbsDiff, result.MaxRelDiff,
                result.Mismatch is null && result.WithinTolerance, result.ArgmaxAgrees, result.Mismatch), _worstExamples);
        }
    }

    /// <summary>Every model's totals now, for the canaries <paramref name="isCurrent"/> keeps; the others are forgotten.</summary>
    public IReadOnlyList<ComparisonCounts> Snapshot(Func<string, string, bool> isCurrent)
    {
        foreach (var key in _cells.Keys)
        {
            if (!isCurrent(key.Model, key.Canary))
            {
                _cells.TryRemove(key, out _);
            }
        }

        return [.. _cells.Select(static pair => pair.Value.Read(pair.Key.Model, pair.Key.Canary))];
    }

    /// <summary>The bucket a difference falls in: the first bound at or above it, or the last (larger than every bound).</summary>
    internal static int BucketOf(double difference)
    {
        var index = Array.BinarySearch(Bounds, difference);
        return index >= 0 ? index : ~index;
    }

    private static KeyValuePair<string, object?> Model(MirrorTarget target) => new(GatewayMetricNames.ModelLabel, target.Model);

    private Cell CellOf(MirrorTarget target) => _cells.GetOrAdd((target.Model, target.Canary), static _ => new Cell());

    private sealed class Cell
    {
        public long Mirrored;
        public long Dropped;
        public long TooLarge;
        public long CanaryErrors;
        public long Uncomparable;
        public long Compared;
        public long WithinTolerance;
        public long ArgmaxCompared;
        public long ArgmaxAgreed;
        public long Disagreeing;
        public readonly long[] Buckets = new long[Bounds.Length + 1];
        private readonly List<ComparisonExample> _worst = [];

        /// <summary>Keeps <paramref name="example"/> if it is among the <paramref name="keep"/> worst (a later one wins a tie).</summary>
        public void Offer(ComparisonExample example, int keep)
        {
            lock (_worst)
            {
                _worst.Add(example);
                _worst.Sort(static (a, b) => Severity(b).CompareTo(Severity(a)) is var order and not 0 ? order : b.At.CompareTo(a.At));
                if (_worst.Count > keep)
                {
                    _worst.RemoveRange(keep, _worst.Count - keep);
                }
            }
        }

        public ComparisonCounts Read(string model, string canary)
        {
            ComparisonExample[] worst;
            lock (_worst)
            {
                worst = [.. _worst];
            }

            return new ComparisonCounts(model, canary, Interlocked.Read(ref Mirrored), Interlocked.Read(ref Dropped), Interlocked.Read(ref TooLarge),
                Interlocked.Read(ref CanaryErrors), Interlocked.Read(ref Uncomparable), Interlocked.Read(ref Compared),
                Interlocked.Read(ref WithinTolerance), Interlocked.Read(ref ArgmaxCompared), Interlocked.Read(ref ArgmaxAgreed),
                Interlocked.Read(ref Disagreeing), [.. Enumerable.Range(0, Buckets.Length).Select(i => Interlocked.Read(ref Buckets[i]))], worst);
        }

        /// <summary>A structural mismatch is worst, then a different arg-max, then the larger difference.</summary>
        private static (int, int, double) Severity(ComparisonExample example) =>
            (example.Mismatch is null ? 0 : 1, example.ArgmaxAgrees == false ? 1 : 0, example.MaxAbsDiff);
    }
}
