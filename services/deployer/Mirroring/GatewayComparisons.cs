using System.Collections.Concurrent;
using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Mirroring;

/// <summary>
/// The embedded adapter of <see cref="IOutputComparison"/>: each gateway's latest cumulative report
/// per deployment, summed when read. A deployment's reports are for one canary; a report on another
/// (the canary was replaced) starts the comparison afresh. Kept in memory: after a restart of the
/// deployer the gateways' next reports, cumulative as they are, bring it back.
/// </summary>
internal sealed class GatewayComparisons : IOutputComparison
{
    /// <summary>Gateways remembered per deployment; the one heard from longest ago makes room.</summary>
    public const int MaxGatewaysPerDeployment = 64;

    private const int MaxWorstExamples = 20;

    private readonly ConcurrentDictionary<string, Entry> _deployments = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public GatewayComparisons(TimeProvider time) => _time = time;

    /// <summary>Takes <paramref name="counts"/> from <paramref name="gateway"/>, about <paramref name="counts"/>' current canary.</summary>
    public void Accept(string gateway, ComparisonCounts counts)
    {
        var entry = _deployments.GetOrAdd(counts.Model, static _ => new Entry());
        lock (entry)
        {
            if (entry.Canary != counts.Canary)
            {
                entry.Canary = counts.Canary;
                entry.Gateways.Clear();
            }

            entry.Gateways[gateway] = (_time.GetUtcNow(), counts);
            if (entry.Gateways.Count > MaxGatewaysPerDeployment)
            {
                entry.Gateways.Remove(entry.Gateways.MinBy(pair => pair.Value.Received).Key);
            }
        }
    }

    /// <summary>Forgets a deleted deployment.</summary>
    public void Forget(string deployment) => _deployments.TryRemove(deployment, out _);

    public ComparisonCounts Read(string deployment, string canary)
    {
        var total = OutputComparisons.Empty(deployment, canary);
        if (!_deployments.TryGetValue(deployment, out var entry))
        {
            return total;
        }

        ComparisonCounts[] reports;
        lock (entry)
        {
            if (entry.Canary != canary)
            {
                return total;
            }

            reports = [.. entry.Gateways.Values.Select(static value => value.Counts)];
        }

        var buckets = new long[total.MaxAbsDiffBuckets.Count];
        foreach (var report in reports)
        {
            for (var i = 0; i < buckets.Length && i < report.MaxAbsDiffBuckets.Count; i++)
            {
                buckets[i] += report.MaxAbsDiffBuckets[i];
            }
        }

        return total with
        {
            Mirrored = reports.Sum(static r => r.Mirrored),
            Dropped = reports.Sum(static r => r.Dropped),
            TooLarge = reports.Sum(static r => r.TooLarge),
            CanaryErrors = reports.Sum(static r => r.CanaryErrors),
            Uncomparable = reports.Sum(static r => r.Uncomparable),
            Compared = reports.Sum(static r => r.Compared),
            WithinTolerance = reports.Sum(static r => r.WithinTolerance),
            ArgmaxCompared = reports.Sum(static r => r.ArgmaxCompared),
            ArgmaxAgreed = reports.Sum(static r => r.ArgmaxAgreed),
            Disagreeing = reports.Sum(static r => r.Disagreeing),
            MaxAbsDiffBuckets = buckets,
            Worst = [.. reports.SelectMany(static r => r.Worst)
                .OrderByDescending(static e => e.Mismatch is null ? 0 : 1)
                .ThenByDescending(static e => e.ArgmaxAgrees == false ? 1 : 0)
                .ThenByDescending(static e => e.MaxAbsDiff)
                .ThenByDescending(static e => e.At)
                .Take(MaxWorstExamples)],
        };
    }

    private sealed class Entry
    {
        public string? Canary { get; set; }

        public Dictionary<string, (DateTimeOffset Received, ComparisonCounts Counts)> Gateways { get; } = new(StringComparer.Ordinal);
    }
}
