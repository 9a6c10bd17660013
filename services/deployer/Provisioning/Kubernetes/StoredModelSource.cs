using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.Provisioning.Kubernetes;

/// <summary>
/// Where a replica on the cluster gets a file of the model store: from the deployer itself
/// (<c>GET /v1/models/blobs/sha256:{hex}</c>), with the model-fetch token, checking the digest,
/// so that no volume is shared between the deployer and the model pods.
/// </summary>
internal static class StoredModelSource
{
    /// <summary>The variable holding the digest the replica must find (64 hex digits).</summary>
    public const string DigestVariable = "MODEL_SHA256";

    /// <summary>The variable holding the bearer token the replica presents, filled from the Secret.</summary>
    public const string TokenVariable = "MODEL_TOKEN";

    /// <summary>The key of the token in the model-fetch Secret.</summary>
    public const string TokenKey = "token";

    /// <summary>
    /// Why replicas cannot load stored models under these settings, or null when they can: on
    /// Kubernetes they need the reference server's image and the deployer's in-cluster address.
    /// </summary>
    public static string? WhyUnavailable(DeployerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Provisioner != ProvisionerKind.Kubernetes)
        {
            return null;
        }

        if (string.IsNullOrEmpty(options.Kubernetes.ReferenceImage))
        {
            return "model variants need the reference runtime's image (Deployer:Kubernetes:ReferenceImage), and this deployer has not been given it; deploy an 'image' instead.";
        }

        return options.Kubernetes.ModelStoreUrl is null
            ? "names the model store, whose files replicas on the cluster download from the deployer; this deployer has not been told its address inside the cluster (Deployer:Kubernetes:ModelStoreUrl). Set it, or give a file on the model volume."
            : null;
    }

    /// <summary>The digest of a pinned store URI (<c>sha256:{hex}</c>), or null for any other URI.</summary>
    public static string? DigestOf(string? modelUri) =>
        modelUri is not null && StoredModelUri.TryParse(modelUri, out var stored, out _) ? stored.Digest : null;

    /// <summary>The URL a replica downloads <paramref name="digest"/> from.</summary>
    public static string BlobUrl(Uri modelStore, string digest)
    {
        ArgumentNullException.ThrowIfNull(modelStore);
        return $"{modelStore.ToString().TrimEnd('/')}/v1/models/blobs/{digest}";
    }
}
