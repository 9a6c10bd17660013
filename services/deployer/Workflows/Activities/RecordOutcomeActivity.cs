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

        await store.UpdateAsync(
            input.Deployment,
            record => RevisionOutcome.Apply(record, input.Generation, input.Succeeded ? null : input.Error ?? "unknown", now),
            CancellationToken.None);
        return true;
    }
}
