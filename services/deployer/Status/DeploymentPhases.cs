using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Models.Catalog;
using ModelPlatform.Deployer.Provisioning;

namespace ModelPlatform.Deployer.Status;

/// <summary>
/// Adds to a deployment's status the phases each variant went through, from its model to its first
/// route: the stored version's upload time from the model catalog (for a <c>models:/</c> model; the
/// revision's acceptance for a file or image), the replicas' start and ready times from the
/// provisioner, and the routing time the workflow recorded when it published.
/// </summary>
internal sealed class DeploymentPhases(IReplicaProvisioner provisioner, IModelCatalog catalog)
{
    public async Task<Deployment> AddAsync(Deployment deployment, DeploymentRecord record, CancellationToken cancellationToken)
    {
        var variants = new Dictionary<string, VariantStatus>(deployment.Status.Variants, StringComparer.Ordinal);
        foreach (var (name, spec) in Specs(record))
        {
            if (variants.TryGetValue(name, out var status))
            {
                var times = await TimesAsync(record, spec, cancellationToken);
                variants[name] = status with { Phases = times.ToPhases() };
            }
        }

        return deployment with { Status = deployment.Status with { Variants = variants } };
    }

    private async Task<PhaseTimes> TimesAsync(DeploymentRecord record, VariantSpec spec, CancellationToken cancellationToken)
    {
        var replicaSet = Domain.Specs.ReplicaSetId(record.Name, spec);
        var route = record.Routes.FirstOrDefault(published => published.ReplicaSet.Id == replicaSet);
        var (started, ready) = provisioner.Observe(replicaSet) is { } observed
            ? PhaseTimes.OfReplicas(observed.Replicas, observed.Desired)
            : (null, null);
        var (origin, originAt) = await OriginAsync(spec, route, record, cancellationToken);
        return new PhaseTimes(origin, originAt, started, ready, route?.RoutedAt);
    }

    private async Task<(string Origin, DateTimeOffset? At)> OriginAsync(
        VariantSpec spec, PublishedVariant? route, DeploymentRecord record, CancellationToken cancellationToken)
    {
        if (spec.Model?.Uri is { } uri && StoredModelUri.TryParse(uri, out var stored, out _) && stored.Digest is { } digest)
        {
            var versions = await catalog.VersionsAsync(stored.Name, cancellationToken);
            // A version deleted since leaves the step unseen rather than guessed.
            return (VariantPhaseNames.Stored, versions.FirstOrDefault(version => version.Digest == digest)?.CreatedAt);
        }

        // Routed, the revision that first routed this replica set; not yet, the one being applied.
        return (VariantPhaseNames.Accepted, route is null ? record.AcceptedAt : route.AcceptedAt);
    }

    private static IEnumerable<(string Name, VariantSpec Spec)> Specs(DeploymentRecord record)
    {
        yield return (VariantNames.Stable, record.Stable);
        if (record.Canary is { } canary)
        {
            yield return (VariantNames.Canary, canary);
        }
    }
}
