using Dapr.Workflow;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Domain;
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

        var variants = new List<PlannedVariant>
        {
            Planned(record, VariantNames.Stable, record.Stable, record.Canary is null ? 100 : 100 - record.CanaryWeight),
        };
        if (record.Canary is { } canary)
        {
            variants.Add(Planned(record, VariantNames.Canary, canary, record.CanaryWeight));
        }

        var kept = record.Deleting ? [] : variants.Select(variant => variant.ReplicaSet.Id).ToHashSet(StringComparer.Ordinal);
        var retiring = provisioner.ReplicaSets()
            .Where(set => !kept.Contains(set) && provisioner.Observe(set)?.Deployment == record.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        return new ReconcilePlan(record.Name, record.Generation, record.Deleting, variants, retiring);
    }

    private static PlannedVariant Planned(DeploymentRecord record, string variant, VariantSpec spec, int weight)
    {
        var id = Specs.ReplicaSetId(record.Name, spec);
        return new(variant, weight, new ReplicaSetSpec(id, record.Name, variant, spec), record.Routes.Any(route => route.ReplicaSet.Id == id));
    }
}
