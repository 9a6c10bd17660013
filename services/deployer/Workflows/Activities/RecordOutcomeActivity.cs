using Dapr.Workflow;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows.Activities;

/// <summary>Records that a generation was applied, or why it could not be.</summary>
internal sealed class RecordOutcomeActivity(IDeploymentStore store, TimeProvider time) : WorkflowActivity<OutcomeInput, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, OutcomeInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var now = time.GetUtcNow();
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
