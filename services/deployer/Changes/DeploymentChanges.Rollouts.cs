using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Rollouts;

namespace ModelPlatform.Deployer.Changes;

/// <summary>
/// The changes a rollout makes, through the same path as an operator's: a new revision with its
/// audit entry, handed to the reconcile workflow. Each holds only while the rollout that asks for it
/// still owns the canary, decided on the record read for the write.
/// </summary>
internal sealed partial class DeploymentChanges
{
    /// <summary>The actor of what a rollout does by itself.</summary>
    public const string RolloutActor = "rollout";

    /// <summary>Sets the canary's weight for a step of run <paramref name="run"/>.</summary>
    public Task<ChangeResult> SetRolloutWeightAsync(string name, string canaryId, int run, int weight, CancellationToken cancellationToken) =>
        ApplyAsync(name, AuditActions.Traffic, RevisionCondition.None, RolloutActor, current =>
            current.RolloutProgress?.Allows(canaryId, run) != true
                ? new ChangeResult.Conflict(StoppedReason(name))
                : current.CanaryWeight == weight ? current : current with { CanaryWeight = weight }, cancellationToken);

    /// <summary>Promotes the canary at the end of run <paramref name="run"/>, as <see cref="PromoteAsync"/> does, and marks the rollout succeeded.</summary>
    public Task<ChangeResult> PromoteForRolloutAsync(string name, string canaryId, int run, string reason, CancellationToken cancellationToken) =>
        ApplyAsync(name, AuditActions.Promote, RevisionCondition.None, RolloutActor, current =>
            current.RolloutProgress is not { } progress || !progress.Allows(canaryId, run) || current.Canary is not { } canary
                ? new ChangeResult.Conflict(StoppedReason(name))
                : current with
                {
                    Stable = canary with { Replicas = KeptReplicas(current.Stable.Replicas, canary) },
                    Canary = null,
                    CanaryWeight = 0,
                    RolloutProgress = progress.With(RolloutStates.Succeeded, reason, time.GetUtcNow()),
                }, cancellationToken);

    /// <summary>
    /// Removes the canary of an unfinished rollout (traffic returns to stable first) and ends the
    /// rollout in <paramref name="state"/>: a failed gate's rollback, or an operator's abort.
    /// With <paramref name="run"/>, only while that run still owns it.
    /// </summary>
    public Task<ChangeResult> RollBackRolloutAsync(
        string name, string canaryId, int? run, string state, string reason, string actor, CancellationToken cancellationToken) =>
        ApplyAsync(name, AuditActions.Rollback, RevisionCondition.None, actor, current =>
            current.RolloutProgress is not { InProgress: true } progress || progress.CanaryId != canaryId || current.CanaryId() != canaryId
                || (run is { } owner && !progress.Allows(canaryId, owner))
                ? new ChangeResult.Conflict(StoppedReason(name))
                : current with
                {
                    Canary = null,
                    CanaryWeight = 0,
                    RolloutProgress = progress.With(state, reason, time.GetUtcNow()),
                }, cancellationToken);

    private static string StoppedReason(string name) => $"Deployment '{name}' has no rollout running.";
}
