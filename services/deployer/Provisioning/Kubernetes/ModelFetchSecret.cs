using k8s;
using k8s.Models;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Security;

namespace ModelPlatform.Deployer.Provisioning.Kubernetes;

/// <summary>
/// Writes this start's <see cref="ModelFetchToken"/> into the Secret that pods of stored models read
/// it from, once per start, before the first such pod is applied. Pods read a Secret when their
/// container starts, so replicas still running keep what they loaded, and any that start later
/// (a restart, a scale-up) present the token this deployer accepts.
/// </summary>
internal sealed class ModelFetchSecret(IKubernetes client, ReplicaSetManifests manifests, ModelFetchToken token, IOptions<DeployerOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _written;

    public async Task EnsureAsync(string installation, CancellationToken cancellationToken)
    {
        if (_written)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_written)
            {
                return;
            }

            var settings = options.Value.Kubernetes;
            var secret = manifests.ModelFetchSecret(token.Value ?? throw new InvalidOperationException("The Kubernetes provisioner runs without a model-fetch token."), installation);
            await client.CoreV1.PatchNamespacedSecretAsync(new V1Patch(secret, V1Patch.PatchType.ApplyPatch), settings.ModelFetchSecret, settings.Namespace,
                fieldManager: KubernetesLabels.Manager, force: true, cancellationToken: cancellationToken);
            _written = true;
        }
        catch (Exception ex) when (KubernetesApiErrors.IsApiFailure(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw KubernetesApiErrors.Describe($"apply Secret {options.Value.Kubernetes.ModelFetchSecret}", ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
