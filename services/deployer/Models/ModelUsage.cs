using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Domain;

namespace ModelPlatform.Deployer.Models;

/// <summary>Which deployments run a stored model version: in a variant they ask for, or in one still routed while a change rolls out.</summary>
internal static class ModelUsage
{
    public static IReadOnlyList<string> DeploymentsUsing(IEnumerable<DeploymentRecord> deployments, ModelVersion version) =>
        [.. deployments.Where(record => VariantsOf(record).Any(spec => Names(spec, version))).Select(record => record.Name)];

    private static IEnumerable<VariantSpec> VariantsOf(DeploymentRecord record)
    {
        yield return record.Stable;
        if (record.Canary is { } canary)
        {
            yield return canary;
        }

        foreach (var route in record.Routes)
        {
            yield return route.ReplicaSet.Spec;
        }
    }

    private static bool Names(VariantSpec spec, ModelVersion version) =>
        spec.Model?.Uri is { } uri && StoredModelUri.TryParse(uri, out var parsed, out _) &&
        parsed.Name == version.Name && parsed.Digest == version.Digest;
}
