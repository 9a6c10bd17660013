using Dapr.Workflow;
using ModelPlatform.Deployer.Provisioning;

namespace ModelPlatform.Deployer.Workflows.Activities;

/// <summary>Makes the variant's replica set exist with its replica count. Idempotent: a re-run starts nothing twice.</summary>
internal sealed class ProvisionVariantActivity(IReplicaProvisioner provisioner) : WorkflowActivity<ReplicaSetSpec, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, ReplicaSetSpec input)
    {
        await provisioner.EnsureAsync(input, CancellationToken.None);
        return true;
    }
}
