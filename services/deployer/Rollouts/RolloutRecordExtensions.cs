using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Domain;

namespace ModelPlatform.Deployer.Rollouts;

/// <summary>What changes of a deployment do to its rollout.</summary>
internal static class RolloutRecordExtensions
{
    /// <summary>
    /// An operator who moves the canary's weight by hand takes over: a running rollout pauses, and
    /// its status says who paused it and why.
    /// </summary>
    public static DeploymentRecord PausedByWeightChange(this DeploymentRecord record, string actor, int weight, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.RolloutProgress is { Status.State: RolloutStates.Running or RolloutStates.WaitingForTraffic } progress
            ? record with { RolloutProgress = progress.With(RolloutStates.Paused, $"{actor} set the canary's weight to {weight} by hand.", now, actor) }
            : record;
    }

    /// <summary>
    /// A whole-deployment PUT that keeps the canary but gives it another weight is a weight change by
    /// hand too: it pauses the rollout, or the rollout's next step would override it silently.
    /// </summary>
    public static DeploymentRecord PausedByReplace(this DeploymentRecord next, DeploymentRecord current, string actor, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(current);
        return next.CanaryId() is { } canary && canary == current.CanaryId() && next.CanaryWeight != current.CanaryWeight
            ? next.PausedByWeightChange(actor, next.CanaryWeight, now)
            : next;
    }

    /// <summary>The replica set of the record's canary, or null without one.</summary>
    public static string? CanaryId(this DeploymentRecord record) =>
        record.Canary is { } canary ? Specs.ReplicaSetId(record.Name, canary) : null;
}
