using Dapr.Workflow;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows.Activities;

/// <summary>Reads the desired state once, so that the workflow's decisions are journaled and replay the same.</summary>
internal sealed class PlanReconcileActivity(IDeploymentStore store, IReplicaProvisioner provisioner) : WorkflowActivity<ReconcileInput, ReconcilePlan?>
{
    public override async Task<ReconcilePlan?> RunAsync(WorkflowActivityContext context, ReconcileInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (await store.GetAsync(input.Deployment, CancellationToken.None) is not { Record: var record })
        {
            return null;
        }

        var variants = record.DesiredReplicaSets()
            .Select(set => new PlannedVariant(set.Variant, record.WeightOf(set.Variant), set, record.Routes.Any(route => route.ReplicaSet.Id == set.Id)))
            .ToList();

        var kept = record.Deleting ? [] : variants.Select(variant => variant.ReplicaSet.Id).ToHashSet(StringComparer.Ordinal);
        var retiring = provisioner.ReplicaSets()
            .Where(set => !kept.Contains(set) && provisioner.Observe(set)?.Deployment == record.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        return new ReconcilePlan(record.Name, record.Generation, record.Deleting, variants, retiring, record.Uid);
    }
}
