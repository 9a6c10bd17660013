using Dapr.Workflow;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows.Activities;

/// <summary>Records that a generation was applied, or why it could not be, in the deployment and in its audit entry.</summary>
internal sealed class RecordOutcomeActivity(IDeploymentStore store, IAuditLog audit, TimeProvider time) : WorkflowActivity<OutcomeInput, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, OutcomeInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var now = time.GetUtcNow();
        // The audit entry first: once the status shows the revision observed, its outcome is there too.
        if (input.Uid is { } uid && await store.GetAsync(input.Deployment, CancellationToken.None) is { Record: var current })
        {
            var outcome = current.Uid == uid && current.Generation != input.Generation
                ? new AuditOutcome(AuditOutcomes.Superseded, $"Revision {current.Generation} replaced it before it finished.", now)
                : input.Succeeded
                    ? new AuditOutcome(AuditOutcomes.Succeeded, null, now)
                    : new AuditOutcome(AuditOutcomes.Failed, input.Error, now);
            await audit.SettleAsync(uid, input.Generation, outcome, CancellationToken.None);
        }

        await store.UpdateAsync(input.Deployment, record =>
        {
            if (record.Generation != input.Generation)
            {
                return null;
            }

            var updated = input.Succeeded
                ? record.WithCondition("Ready", "True", "ReplicasReady", $"Revision {input.Generation} is serving.", now)
                    .WithCondition("Progressing", "False", "RevisionApplied", $"Revision {input.Generation} applied.", now)
                : record.WithCondition("Ready", "False", "RevisionFailed", input.Error!, now)
                    .WithCondition("Progressing", "False", "RevisionFailed", input.Error!, now);
            return updated with { ObservedGeneration = input.Generation, Failure = input.Succeeded ? null : input.Error };
        }, CancellationToken.None);
        return true;
    }
}
