using Dapr.Workflow;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows.Activities;

/// <summary>Marks the generation as being applied (phase Provisioning).</summary>
internal sealed class RecordProgressActivity(IDeploymentStore store, TimeProvider time) : WorkflowActivity<GenerationInput, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, GenerationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await store.UpdateAsync(input.Deployment, record => record.Generation != input.Generation ? null : record
            .WithCondition("Progressing", "True", "Reconciling", $"Applying revision {input.Generation}.", time.GetUtcNow())
            with
        { StartedGeneration = input.Generation }, CancellationToken.None);
        return true;
    }
}
