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

    /// <summary>The replica set of the record's canary, or null without one.</summary>
    public static string? CanaryId(this DeploymentRecord record) =>
        record.Canary is { } canary ? Specs.ReplicaSetId(record.Name, canary) : null;
}
