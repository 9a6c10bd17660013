using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Provisioning;

namespace ModelPlatform.Deployer.Status;

/// <summary>
/// When a variant reached each step towards its first prediction, where the deployer saw it:
/// its origin (the stored model's upload, or the revision's acceptance), the first of its replicas
/// starting, every desired replica ready, and its routes published. A step not seen is null.
/// </summary>
internal sealed record PhaseTimes(string Origin, DateTimeOffset? OriginAt, DateTimeOffset? StartedAt, DateTimeOffset? ReadyAt, DateTimeOffset? RoutedAt)
{
    /// <summary>The earliest start among the replicas, and when the last of <paramref name="desired"/> ready replicas became ready.</summary>
    public static (DateTimeOffset? StartedAt, DateTimeOffset? ReadyAt) OfReplicas(IReadOnlyList<ReplicaObservation> replicas, int desired)
    {
        var started = replicas.Select(replica => replica.StartedAt).Where(at => at is not null).Min();
        var ready = replicas.Where(replica => replica.Ready).Select(replica => replica.ReadyAt).OfType<DateTimeOffset>().Order().ToList();
        // Routing waits for every desired replica, so "ready" is the moment the last of them was.
        return (started, desired > 0 && ready.Count >= desired ? ready[desired - 1] : null);
    }

    /// <summary>
    /// The steps seen, in the order they happen, each with the seconds since the step listed before it;
    /// none when a step came before the one listed ahead of it (a replica replaced after routing
    /// started later than its routes were published): then the times say so, and no duration is made up.
    /// </summary>
    public IReadOnlyList<VariantPhase> ToPhases()
    {
        var phases = new List<VariantPhase>(4);
        DateTimeOffset? previous = null;
        foreach (var (name, at) in new[]
        {
            (Origin, OriginAt),
            (VariantPhaseNames.ReplicaStarted, StartedAt),
            (VariantPhaseNames.Ready, ReadyAt),
            (VariantPhaseNames.Routed, RoutedAt),
        })
        {
            if (at is not { } time)
            {
                continue;
            }

            var seconds = previous is { } before && time >= before ? (time - before).TotalSeconds : (double?)null;
            phases.Add(new VariantPhase(name, time, seconds));
            previous = time;
        }

        return phases;
    }
}
