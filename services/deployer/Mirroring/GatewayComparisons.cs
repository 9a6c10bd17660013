using System.Collections.Concurrent;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Domain;

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

    /// <summary>
    /// Takes <paramref name="counts"/> from <paramref name="gateway"/> if they are about
    /// <paramref name="record"/>'s current canary; false (and nothing taken) when they are not.
    /// </summary>
    public bool Accept(string gateway, DeploymentRecord record, ComparisonCounts counts)
    {
        if (ScopeOf(record) is not { } scope || CanaryOf(record) != counts.Canary)
        {
            return false;
        }

        var entry = _deployments.GetOrAdd(record.Name, static _ => new Entry());
        lock (entry)
        {
            if (entry.Scope != scope)
            {
                entry.Scope = scope;
                entry.Gateways.Clear();
            }

            entry.Gateways[gateway] = (_time.GetUtcNow(), counts);
            if (entry.Gateways.Count > MaxGatewaysPerDeployment)
            {
                entry.Gateways.Remove(entry.Gateways.MinBy(pair => pair.Value.Received).Key);
            }
        }

        return true;
    }

    /// <summary>The canary's replica set, which names what is compared; null without a canary.</summary>
    public static string? CanaryOf(DeploymentRecord record) =>
        record.Canary is { } canary && !record.Deleting ? Specs.ReplicaSetId(record.Name, canary) : null;

    public ComparisonCounts Read(DeploymentRecord record)
    {
        var total = OutputComparisons.Empty(record.Name, CanaryOf(record) ?? string.Empty);
        if (ScopeOf(record) is not { } scope || !_deployments.TryGetValue(record.Name, out var entry))
        {
            return total;
        }

        ComparisonCounts[] reports;
        lock (entry)
        {
            if (entry.Scope != scope)
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

    /// <summary>
    /// Which comparison a deployment's reports belong to: this creation of the deployment (a deployment
    /// deleted and created again under its name starts afresh) and this canary.
    /// </summary>
    private static string? ScopeOf(DeploymentRecord record) => CanaryOf(record) is { } canary ? $"{record.Uid}/{canary}" : null;

    private sealed class Entry
    {
        public string? Scope { get; set; }

        public Dictionary<string, (DateTimeOffset Received, ComparisonCounts Counts)> Gateways { get; } = new(StringComparer.Ordinal);
    }
}
