using Dapr.Workflow;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows.Activities;

/// <summary>Stops the deployment's replica sets that are not in the keep list. Idempotent.</summary>
internal sealed class RemoveReplicaSetsActivity(IReplicaProvisioner provisioner, IDeploymentStore store) : WorkflowActivity<RemoveReplicaSetsInput, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, RemoveReplicaSetsInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!await Plans.StillCurrentAsync(store, input.Deployment, input.Generation))
        {
            return false;
        }

        foreach (var set in provisioner.ReplicaSets())
        {
            if (!input.Keep.Contains(set) && provisioner.Observe(set)?.Deployment == input.Deployment)
            {
                await provisioner.RemoveAsync(set, CancellationToken.None);
            }
        }

        return true;
    }
}
