using Dapr.Workflow;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows.Activities;

/// <summary>Stops the deployment's replica sets that are not in the keep list (nor routed, when asked). Idempotent.</summary>
internal sealed class RemoveReplicaSetsActivity(IReplicaProvisioner provisioner, IDeploymentStore store) : WorkflowActivity<RemoveReplicaSetsInput, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, RemoveReplicaSetsInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (await store.GetAsync(input.Deployment, CancellationToken.None) is not { Record: var record } || record.Generation != input.Generation)
        {
            // Overtaken by a newer change (or a delete): its own workflow decides what runs.
            return false;
        }

        var keep = input.KeepRouted
            ? input.Keep.Concat(record.Routes.Select(route => route.ReplicaSet.Id)).ToHashSet(StringComparer.Ordinal)
            : input.Keep.ToHashSet(StringComparer.Ordinal);
        foreach (var set in provisioner.ReplicaSets())
        {
            if (!keep.Contains(set) && provisioner.Observe(set)?.Deployment == input.Deployment)
            {
                await provisioner.RemoveAsync(set, CancellationToken.None);
            }
        }

        return true;
    }
}
