using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Rollouts;

/// <summary>
/// Writes a rollout's progress into its deployment, and, for what the trail must show (a step, a
/// judgement with its measured values and limits, a pause, the outcome), an audit entry in the same
/// write. Progress is status, not desired state: it makes no revision and starts no reconcile.
/// </summary>
internal sealed class RolloutRecorder(IDeploymentStore store, IAuditLog audit, TimeProvider time)
{
    /// <summary>
    /// Applies <paramref name="change"/> to the stored record (null: nothing to write, the record is
    /// returned as read) with a conflict retry; null when the deployment does not exist.
    /// </summary>
    public Task<DeploymentRecord?> RecordAsync(string name, string actor, Func<DeploymentRecord, DateTimeOffset, RolloutChange?> change, CancellationToken cancellationToken) =>
        ConflictRetry.RunAsync(async () =>
        {
            if (await store.GetAsync(name, cancellationToken) is not { } stored)
            {
                return null;
            }

            var now = time.GetUtcNow();
            if (change(stored.Record, now) is not { } next)
            {
                return stored.Record;
            }

            var record = stored.Record with { RolloutProgress = next.Progress };
            if (next.AuditReason is not { } reason)
            {
                return (await store.UpdateAsync(record, stored.ETag, cancellationToken)).Record;
            }

            var entry = AuditDraft.For(AuditActions.Rollout, actor, now, stored.Record, record) with
            {
                Settled = new AuditOutcome(next.Failed ? AuditOutcomes.Failed : AuditOutcomes.Succeeded, reason, now),
            };
            return (await audit.UpdateAsync(record, stored.ETag, entry, cancellationToken)).Record;
        });
}

/// <summary>A rollout's next progress, and the reason to put in the audit trail (none: a routine check the status shows alone).</summary>
/// <remarks><paramref name="Failed"/>: the entry records a failure (a failed gate, a rollback).</remarks>
internal sealed record RolloutChange(RolloutProgress Progress, string? AuditReason = null, bool Failed = false);
