using Dapr.Workflow;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows.Activities;

/// <summary>Makes the variant's replica set exist with its replica count. Idempotent: a re-run starts nothing twice.</summary>
internal sealed class ProvisionVariantActivity(IReplicaProvisioner provisioner, IDeploymentStore store) : WorkflowActivity<ProvisionInput, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, ProvisionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!await Plans.StillCurrentAsync(store, input.Deployment, input.Generation))
        {
            return false;
        }

        await provisioner.EnsureAsync(input.ReplicaSet, CancellationToken.None);
        return true;
    }
}
