using ModelPlatform.Deployer.Domain;

namespace ModelPlatform.Deployer.Workflows;

/// <summary>
/// How a record shows the end of applying a revision, whoever ended it: the workflow that applied
/// it or failed to, or the coordinator that gave up on workflows that kept crashing.
/// </summary>
internal static class RevisionOutcome
{
    /// <summary>The record with the outcome of <paramref name="generation"/>, or null when a newer revision has replaced it.</summary>
    public static DeploymentRecord? Apply(DeploymentRecord record, long generation, string? error, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Generation != generation)
        {
            return null;
        }

        var updated = error is null
            ? record.WithCondition("Ready", "True", "ReplicasReady", $"Revision {generation} is serving.", now)
                .WithCondition("Progressing", "False", "RevisionApplied", $"Revision {generation} applied.", now)
            : record.WithCondition("Ready", "False", "RevisionFailed", error, now)
                .WithCondition("Progressing", "False", "RevisionFailed", error, now);
        return updated with { ObservedGeneration = generation, Failure = error };
    }
}
