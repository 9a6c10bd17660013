using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Provisioning;

namespace ModelPlatform.Deployer.Status;

/// <summary>
/// Turns a stored record into what the API shows, with the status observed now: the replicas'
/// readiness comes from the provisioner, not from what the last workflow hoped.
/// </summary>
internal sealed class DeploymentStatusBuilder(IReplicaProvisioner provisioner, IOptions<DeployerOptions> options)
{
    public Deployment Build(DeploymentRecord record)
    {
        var variants = new Dictionary<string, VariantStatus>(StringComparer.Ordinal)
        {
            [VariantNames.Stable] = Observe(record.Name, record.Stable),
        };
        if (record.Canary is { } canary)
        {
            variants[VariantNames.Canary] = Observe(record.Name, canary);
        }

        var status = new DeploymentStatus(
            Phase(record, variants.Values),
            record.Generation,
            record.ObservedGeneration,
            $"{options.Value.PublicUrl.TrimEnd('/')}/v2/models/{record.Name}",
            variants,
            record.Conditions,
            record.RolloutProgress?.Status);
        var traffic = new TrafficSplit(record.WeightOf(VariantNames.Stable), record.WeightOf(VariantNames.Canary), record.Canary is null ? 0 : record.Mirror);
        return new Deployment(record.Name, record.Stable, record.Canary, traffic, status, record.Access, record.Limits, record.Rollout);
    }

    private VariantStatus Observe(string deployment, VariantSpec spec)
    {
        var observed = provisioner.Observe(Specs.ReplicaSetId(deployment, spec));
        return new VariantStatus(
            spec.Replicas,
            observed?.Ready ?? 0,
            observed?.ReadyEndpoints ?? [],
            observed?.Replicas.Sum(replica => replica.Restarts) ?? 0,
            observed?.Replicas.Select(replica => replica.LogPath).ToList() ?? []);
    }

    private static string Phase(DeploymentRecord record, IEnumerable<VariantStatus> variants) => record switch
    {
        { Deleting: true } => DeploymentPhase.Deleting,
        _ when record.StartedGeneration < record.Generation && record.ObservedGeneration < record.Generation => DeploymentPhase.Pending,
        _ when record.ObservedGeneration < record.Generation => DeploymentPhase.Provisioning,
        { Failure: not null } => DeploymentPhase.Failed,
        _ when variants.Any(variant => variant.ReadyReplicas < variant.Replicas) => DeploymentPhase.Degraded,
        _ => DeploymentPhase.Ready,
    };
}
