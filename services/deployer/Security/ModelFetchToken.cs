using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.Security;

/// <summary>
/// The token replicas on a cluster download stored models with (role <see cref="Roles.ModelFetch"/>:
/// the blob route and nothing else). A new random one at every start, never written to the
/// deployer's store or log: the Kubernetes provisioner puts it in a Secret in the models' namespace,
/// which pods read at container start, so a pod started after a deployer restart gets the new one.
/// Only the Kubernetes provisioner has one; replicas on this machine read the file itself.
/// </summary>
internal sealed class ModelFetchToken
{
    public const string IdentityName = "model-fetch";

    public ModelFetchToken(IOptions<DeployerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Value.Provisioner == ProvisionerKind.Kubernetes)
        {
            Value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        }
    }

    /// <summary>The secret itself, or null where no replica needs one.</summary>
    public string? Value { get; }

    /// <summary>What the token registry accepts for it: nothing without a token.</summary>
    public IEnumerable<(string Name, string Role, byte[] Hash)> Accepted =>
        Value is null ? [] : [(IdentityName, Roles.ModelFetch, BearerTokens.Sha256(Value))];
}
