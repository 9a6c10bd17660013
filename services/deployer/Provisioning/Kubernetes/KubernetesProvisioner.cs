using k8s;
using k8s.Models;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Common;
using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.Provisioning.Kubernetes;

/// <summary>
/// The production provisioner: each replica set is a Deployment and a ClusterIP Service (and an
/// autoscaler when asked) in one namespace, written with server-side apply. What the sets are doing
/// is read from an in-memory view the API's watches keep current, so <see cref="Observe"/> costs no
/// request; the route table points at the Services, which spread traffic over ready pods.
/// </summary>
internal sealed partial class KubernetesProvisioner(
    IKubernetes client,
    ReplicaSetManifests manifests,
    IOptions<DeployerOptions> options,
    ILogger<KubernetesProvisioner> logger) : IReplicaProvisioner, IHostedService, IDisposable
{
    private readonly Dictionary<string, KnownSet> _known = new(StringComparer.Ordinal);
    private readonly HashSet<string> _removed = new(StringComparer.Ordinal);
    private readonly ChangeSignal _changed = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _watches = [];
    private ResourceWatch<V1Deployment, V1DeploymentList>? _deployments;
    private ResourceWatch<V1Pod, V1PodList>? _pods;

    public event Action<string>? ReplicasChanged;

    private KubernetesProvisionerOptions Settings => options.Value.Kubernetes;

    private string Namespace => Settings.Namespace;

    private ResourceWatch<V1Deployment, V1DeploymentList> Deployments => _deployments ?? throw new InvalidOperationException("The provisioner has not started.");

    private ResourceWatch<V1Pod, V1PodList> Pods => _pods ?? throw new InvalidOperationException("The provisioner has not started.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var watchSeconds = (int)Settings.WatchTimeout.TotalSeconds;
        _deployments = new ResourceWatch<V1Deployment, V1DeploymentList>(
            "Deployment",
            token => client.AppsV1.ListNamespacedDeploymentAsync(Namespace, labelSelector: KubernetesLabels.ManagedSelector, cancellationToken: token),
            (version, onError, token) => client.AppsV1.WatchListNamespacedDeploymentAsync(
                Namespace, allowWatchBookmarks: true, labelSelector: KubernetesLabels.ManagedSelector,
                resourceVersion: version, timeoutSeconds: watchSeconds, onError: onError, cancellationToken: token),
            Settings.WatchBackoff, Settings.MaxWatchBackoff, logger);
        _pods = new ResourceWatch<V1Pod, V1PodList>(
            "Pod",
            token => client.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: KubernetesLabels.ManagedSelector, cancellationToken: token),
            (version, onError, token) => client.CoreV1.WatchListNamespacedPodAsync(
                Namespace, allowWatchBookmarks: true, labelSelector: KubernetesLabels.ManagedSelector,
                resourceVersion: version, timeoutSeconds: watchSeconds, onError: onError, cancellationToken: token),
            Settings.WatchBackoff, Settings.MaxWatchBackoff, logger);
        _deployments.Changed += OnDeploymentChanged;
        _pods.Changed += item => OnChanged(item.Metadata);
        _watches.Add(_deployments.RunAsync(_stopping.Token));
        _watches.Add(_pods.RunAsync(_stopping.Token));

        // The startup reconciler decides which sets are orphans from ReplicaSets(): it must see the cluster, not an empty view.
        await Task.WhenAll(_deployments.Synced, _pods.Synced).WaitAsync(cancellationToken);
        await DiscoverStrayObjectsAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_watches).WaitAsync(cancellationToken);
    }

    public void Dispose() => _stopping.Dispose();

    public async Task EnsureAsync(ReplicaSetSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var deployment = await ApplyAsync("Deployment", spec.Id, token => client.AppsV1.PatchNamespacedDeploymentAsync(
            Patch(manifests.Deployment(spec)), spec.Id, Namespace, fieldManager: KubernetesLabels.Manager, force: true, cancellationToken: token), cancellationToken);
        await ApplyAsync("Service", spec.Id, token => client.CoreV1.PatchNamespacedServiceAsync(
            Patch(manifests.Service(spec)), spec.Id, Namespace, fieldManager: KubernetesLabels.Manager, force: true, cancellationToken: token), cancellationToken);
        if (manifests.Autoscaler(spec) is { } autoscaler)
        {
            await ApplyAsync("HorizontalPodAutoscaler", spec.Id, token => client.AutoscalingV2.PatchNamespacedHorizontalPodAutoscalerAsync(
                Patch(autoscaler), spec.Id, Namespace, fieldManager: KubernetesLabels.Manager, force: true, cancellationToken: token), cancellationToken);
        }

        lock (_known)
        {
            _removed.Remove(spec.Id);
            _known[spec.Id] = new KnownSet(spec.Id, spec.Deployment, spec, deployment.Metadata.Generation ?? 0);
        }

        _changed.Signal();
    }

    public async Task<ReplicaSetReadiness> WaitUntilReadyAsync(string replicaSet, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = new ChangeDeadline(timeout, cancellationToken);
        var rollout = new DeploymentRollout(false, null, "not observed yet");
        while (true)
        {
            var changed = _changed.Changed;
            KnownSet? known;
            lock (_known)
            {
                known = _known.GetValueOrDefault(replicaSet);
            }

            var deployment = Deployments.Get(replicaSet);
            if (known is null && deployment is null)
            {
                return new ReplicaSetReadiness(false, $"replica set {replicaSet} does not exist");
            }

            rollout = DeploymentRollout.Of(deployment, known?.AppliedGeneration ?? 0);
            if (rollout.Ready || rollout.Failure is not null)
            {
                return new ReplicaSetReadiness(rollout.Ready, rollout.Failure);
            }

            if (!await deadline.WaitAsync(changed))
            {
                return new ReplicaSetReadiness(false, $"{rollout.Progress} after {timeout.TotalSeconds:F0} s");
            }
        }
    }

    public async Task RemoveAsync(string replicaSet, CancellationToken cancellationToken)
    {
        string? model;
        lock (_known)
        {
            model = _known.GetValueOrDefault(replicaSet)?.Deployment;
        }

        model ??= Deployments.Get(replicaSet)?.GetLabel(KubernetesLabels.Model);

        // Traffic goes first (the Service), then the autoscaler that would scale a dying Deployment, then the pods.
        await DeleteAsync("Service", replicaSet, token => client.CoreV1.DeleteNamespacedServiceAsync(
            replicaSet, Namespace, propagationPolicy: "Background", cancellationToken: token), cancellationToken);
        await DeleteAsync("HorizontalPodAutoscaler", replicaSet, token => client.AutoscalingV2.DeleteNamespacedHorizontalPodAutoscalerAsync(
            replicaSet, Namespace, propagationPolicy: "Background", cancellationToken: token), cancellationToken);
        await DeleteAsync("Deployment", replicaSet, token => client.AppsV1.DeleteNamespacedDeploymentAsync(
            replicaSet, Namespace, propagationPolicy: "Background", cancellationToken: token), cancellationToken);
        lock (_known)
        {
            _known.Remove(replicaSet);
            _removed.Add(replicaSet);
        }

        _changed.Signal();
        if (model is not null)
        {
            ReplicasChanged?.Invoke(model);
        }
    }

    public ReplicaSetObservation? Observe(string replicaSet)
    {
        KnownSet? known;
        lock (_known)
        {
            if (_removed.Contains(replicaSet))
            {
                return null;
            }

            known = _known.GetValueOrDefault(replicaSet);
        }

        var deployment = Deployments.Get(replicaSet);
        var model = known?.Deployment ?? deployment?.GetLabel(KubernetesLabels.Model);
        if (model is null)
        {
            return null;
        }

        var desired = known?.Spec is { } set && !ReplicaSetManifests.Autoscaled(set.Spec) ? set.Spec.Replicas : deployment?.Spec?.Replicas ?? 0;
        var replicas = PodsOf(replicaSet).Select((pod, ordinal) => Replica(pod, ordinal)).ToList();
        return new ReplicaSetObservation(replicaSet, model, desired, replicas, manifests.ServiceAddress(replicaSet));
    }

    public IReadOnlyCollection<string> ReplicaSets()
    {
        lock (_known)
        {
            return [.. Deployments.Items.Select(deployment => deployment.Metadata.Name)
                .Concat(_known.Keys)
                .Where(name => !_removed.Contains(name))
                .Distinct(StringComparer.Ordinal)];
        }
    }

    public async Task<string?> ReadLogAsync(string replicaSet, int ordinal, int tailLines, CancellationToken cancellationToken)
    {
        if (PodsOf(replicaSet).ElementAtOrDefault(ordinal) is not { } pod)
        {
            return null;
        }

        try
        {
            await using var stream = await client.CoreV1.ReadNamespacedPodLogAsync(
                pod.Metadata.Name, Namespace, container: ReplicaSetManifests.ContainerName, tailLines: tailLines, cancellationToken: cancellationToken);
            using var reader = new StreamReader(stream);
            return await reader.ReadToEndAsync(cancellationToken);
        }
        catch (Exception ex) when (KubernetesApiErrors.IsNotFound(ex))
        {
            return null;
        }
        catch (Exception ex) when (KubernetesApiErrors.IsApiFailure(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw KubernetesApiErrors.Describe($"read the log of pod {pod.Metadata.Name}", ex);
        }
    }

    /// <summary>The pods of a set in a stable order, so that an ordinal names the same pod from one call to the next.</summary>
    private IEnumerable<V1Pod> PodsOf(string replicaSet) => Pods.Items
        .Where(pod => pod.GetLabel(KubernetesLabels.Instance) == replicaSet && pod.Metadata.DeletionTimestamp is null)
        .OrderBy(pod => pod.Metadata.CreationTimestamp ?? DateTime.MinValue)
        .ThenBy(pod => pod.Metadata.Name, StringComparer.Ordinal);

    private ReplicaObservation Replica(V1Pod pod, int ordinal)
    {
        var ready = pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
        var containers = pod.Status?.ContainerStatuses ?? [];
        var lastExit = containers.Select(c => c.LastState?.Terminated ?? c.State?.Terminated).FirstOrDefault(t => t is not null) is { } exit
            ? $"{exit.Reason ?? "exited"} (code {exit.ExitCode}){(string.IsNullOrEmpty(exit.Message) ? "" : ": " + exit.Message)}"
            : containers.Select(c => c.State?.Waiting).FirstOrDefault(w => w is not null) is { } waiting ? $"{waiting.Reason}: {waiting.Message}" : null;
        var endpoint = pod.Status?.PodIP is { } ip ? $"http://{ip}:{Settings.ContainerPort}" : string.Empty;
        return new ReplicaObservation(ordinal, endpoint, ready, containers.Sum(c => c.RestartCount), lastExit, $"pods/{Namespace}/{pod.Metadata.Name}");
    }

    private void OnDeploymentChanged(V1Deployment deployment)
    {
        if (Deployments.Get(deployment.Metadata.Name) is null)
        {
            lock (_known)
            {
                _removed.Remove(deployment.Metadata.Name);
            }
        }

        OnChanged(deployment.Metadata);
    }

    private void OnChanged(V1ObjectMeta metadata)
    {
        _changed.Signal();
        if (metadata.Labels is { } labels && labels.TryGetValue(KubernetesLabels.Model, out var model))
        {
            ReplicasChanged?.Invoke(model);
        }
    }

    /// <summary>
    /// Services and autoscalers whose Deployment is gone (a deployer that crashed half-way through a
    /// delete) count as sets too, so that the startup reconciler removes them with the rest.
    /// </summary>
    private async Task DiscoverStrayObjectsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var services = await client.CoreV1.ListNamespacedServiceAsync(Namespace, labelSelector: KubernetesLabels.ManagedSelector, cancellationToken: cancellationToken);
            var autoscalers = await client.AutoscalingV2.ListNamespacedHorizontalPodAutoscalerAsync(Namespace, labelSelector: KubernetesLabels.ManagedSelector, cancellationToken: cancellationToken);
            lock (_known)
            {
                foreach (var metadata in services.Items.Select(s => s.Metadata).Concat(autoscalers.Items.Select(a => a.Metadata)))
                {
                    if (metadata.Labels is { } labels && labels.TryGetValue(KubernetesLabels.Model, out var model) && !_known.ContainsKey(metadata.Name))
                    {
                        _known[metadata.Name] = new KnownSet(metadata.Name, model, null, 0);
                    }
                }
            }
        }
        catch (Exception ex) when (KubernetesApiErrors.IsApiFailure(ex) && !cancellationToken.IsCancellationRequested)
        {
            LogDiscoveryFailed(logger, ex);
        }
    }

    private static V1Patch Patch(object manifest) => new(manifest, V1Patch.PatchType.ApplyPatch);

    private static async Task<T> ApplyAsync<T>(string kind, string name, Func<CancellationToken, Task<T>> apply, CancellationToken cancellationToken)
    {
        try
        {
            return await apply(cancellationToken);
        }
        catch (Exception ex) when (KubernetesApiErrors.IsApiFailure(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw KubernetesApiErrors.Describe($"apply {kind} {name}", ex);
        }
    }

    private static async Task DeleteAsync<T>(string kind, string name, Func<CancellationToken, Task<T>> delete, CancellationToken cancellationToken)
    {
        try
        {
            await delete(cancellationToken);
        }
        catch (Exception ex) when (KubernetesApiErrors.IsNotFound(ex))
        {
        }
        catch (Exception ex) when (KubernetesApiErrors.IsApiFailure(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw KubernetesApiErrors.Describe($"delete {kind} {name}", ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listing the deployer's Services and autoscalers failed; strays among them stay until the next start")]
    private static partial void LogDiscoveryFailed(ILogger logger, Exception exception);

    /// <summary>A set this deployer applied (with its spec and the generation the apply produced) or found at start.</summary>
    private sealed record KnownSet(string Id, string Deployment, ReplicaSetSpec? Spec, long AppliedGeneration);
}
