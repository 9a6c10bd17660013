using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Domain;

/// <summary>Comparing variant specs, and naming the replica set that runs one.</summary>
internal static class Specs
{
    private static readonly JsonSerializerOptions Canonical = Common.StoredJson.Options;

    public static bool Same(VariantSpec? a, VariantSpec? b) =>
        a is null || b is null ? a is null && b is null : Fingerprint(a, includeReplicas: true) == Fingerprint(b, includeReplicas: true);

    /// <summary>
    /// The replica set of a variant: the deployment's name and a hash of everything but the replica
    /// count, so that scaling keeps the set and any other change makes a new one. A promoted canary
    /// keeps its set, and with it its running replicas.
    /// </summary>
    public static string ReplicaSetId(string deployment, VariantSpec spec) =>
        $"{deployment}-{Fingerprint(spec, includeReplicas: false)[..10]}";

    private static string Fingerprint(VariantSpec spec, bool includeReplicas)
    {
        var normalized = spec with
        {
            Replicas = includeReplicas ? spec.Replicas : 0,
            Env = spec.Env is null ? null : new SortedDictionary<string, string>(spec.Env.ToDictionary(), StringComparer.Ordinal),
        };
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(normalized, Canonical)));
        return Convert.ToHexStringLower(bytes);
    }
}
