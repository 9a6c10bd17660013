using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Common;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Provisioning.Kubernetes;

/// <summary>
/// The production provisioner: each replica set is a Deployment and a ClusterIP Service (and an
/// autoscaler when asked) in one namespace, written with server-side apply. What the sets are doing
/// is read from an in-memory view the API's watches keep current, so <see cref="Observe"/> costs no
/// request; the route table points at the Services, which spread traffic over ready pods. Every
/// object carries this installation's id (<see cref="IInstallationIdentity"/>), and only objects that
/// carry it are seen, so a deployer on an empty or another store never removes what it did not make.
/// </summary>
internal sealed partial class KubernetesProvisioner(
    IKubernetes client,
    ReplicaSetManifests manifests,
    ModelFetchSecret fetchSecret,
    IInstallationIdentity identity,
    IOptions<DeployerOptions> options,
    TimeProvider time,
    ILogger<KubernetesProvisioner> logger) : IReplicaProvisioner, IHostedService, IDisposable
{
    private readonly Dictionary<string, KnownSet> _known = new(StringComparer.Ordinal);
    private readonly HashSet<string> _removed = new(StringComparer.Ordinal);
    private readonly ChangeSignal _changed = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _watches = [];
    private ResourceWatch<V1Deployment, V1DeploymentList>? _deployments;
    private ResourceWatch<V1Pod, V1PodList>? _pods;
    private string? _installation;

    public event Action<string>? ReplicasChanged;

    private KubernetesProvisionerOptions Settings => options.Value.Kubernetes;

    private string Namespace => Settings.Namespace;

    private ResourceWatch<V1Deployment, V1DeploymentList> Deployments => _deployments ?? throw new InvalidOperationException("The provisioner has not started.");

    private ResourceWatch<V1Pod, V1PodList> Pods => _pods ?? throw new InvalidOperationException("The provisioner has not started.");

    private string Installation => _installation ?? throw new InvalidOperationException("The provisioner has not started.");

    /// <summary>This installation's id, as its objects are labelled; null before the start.</summary>
    public string? InstallationId => _installation;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _installation = Settings.InstallationId ?? await identity.GetAsync(cancellationToken);
        LogInstallation(logger, _installation, Namespace);
        var selector = KubernetesLabels.InstallationSelector(_installation);
        var watchSeconds = (int)Settings.WatchTimeout.TotalSeconds;
        _deployments = new ResourceWatch<V1Deployment, V1DeploymentList>(
            "Deployment",
            token => client.AppsV1.ListNamespacedDeploymentAsync(Namespace, labelSelector: selector, cancellationToken: token),
            (version, onError, token) => client.AppsV1.WatchListNamespacedDeploymentAsync(
                Namespace, allowWatchBookmarks: true, labelSelector: selector,
                resourceVersion: version, timeoutSeconds: watchSeconds, onError: onError, cancellationToken: token),
            Settings.WatchBackoff, Settings.MaxWatchBackoff, logger);

        // Pods carry no installation (adding it to the template would restart every replica); they are
        // kept to this installation's sets where they are read (PodsOf, OnPodChanged).
        _pods = new ResourceWatch<V1Pod, V1PodList>(
            "Pod",
            token => client.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: KubernetesLabels.ManagedSelector, cancellationToken: token),
            (version, onError, token) => client.CoreV1.WatchListNamespacedPodAsync(
                Namespace, allowWatchBookmarks: true, labelSelector: KubernetesLabels.ManagedSelector,
                resourceVersion: version, timeoutSeconds: watchSeconds, onError: onError, cancellationToken: token),
            Settings.WatchBackoff, Settings.MaxWatchBackoff, logger);
        _deployments.Changed += OnDeploymentChanged;
        _pods.Changed += OnPodChanged;
        _watches.Add(_deployments.RunAsync(_stopping.Token));
        _watches.Add(_pods.RunAsync(_stopping.Token));

        // The startup reconciler decides which sets are orphans from ReplicaSets(): it must see the cluster, not an empty view.
        await WaitForFirstListsAsync(cancellationToken);
        await DiscoverStrayObjectsAsync(selector, cancellationToken);
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
        if (ReplicaSetManifests.FetchesStoredModel(spec.Spec))
        {
            await fetchSecret.EnsureAsync(Installation, cancellationToken);
        }

        // Known before it is applied: an apply whose answer was lost (a timeout in an API outage) may
        // have taken effect before the watch shows it, and the deployment's delete must still find
        // and remove the set then (removing one that never came to be is a no-op).
        lock (_known)
        {
            _removed.Remove(spec.Id);
            _known.TryAdd(spec.Id, new KnownSet(spec.Id, spec.Deployment, spec, 0));
        }

        var deployment = await ApplyAsync("Deployment", spec.Id, token => client.AppsV1.PatchNamespacedDeploymentAsync(
            Patch(manifests.Deployment(spec, Installation)), spec.Id, Namespace, fieldManager: KubernetesLabels.Manager, force: true, cancellationToken: token), cancellationToken);
        await ApplyAsync("Service", spec.Id, token => client.CoreV1.PatchNamespacedServiceAsync(
            Patch(manifests.Service(spec, Installation)), spec.Id, Namespace, fieldManager: KubernetesLabels.Manager, force: true, cancellationToken: token), cancellationToken);
        if (manifests.Autoscaler(spec, Installation) is { } autoscaler)
        {
            await ApplyAsync("HorizontalPodAutoscaler", spec.Id, token => client.AutoscalingV2.PatchNamespacedHorizontalPodAutoscalerAsync(
                Patch(autoscaler), spec.Id, Namespace, fieldManager: KubernetesLabels.Manager, force: true, cancellationToken: token), cancellationToken);
        }

        lock (_known)
        {
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

            rollout = DeploymentRollout.Of(deployment, known?.AppliedGeneration ?? 0, MinReplicas(known));
            if (rollout.Ready || rollout.Failure is not null)
            {
                return new ReplicaSetReadiness(rollout.Ready, rollout.Failure);
            }

            var (stuck, recheck) = StuckPods(replicaSet);
            if (stuck is not null)
            {
                return new ReplicaSetReadiness(false, stuck);
            }

            // A pod stuck but not for long enough yet is looked at again when it will have been.
            var wake = recheck is { } after ? Task.WhenAny(changed, Task.Delay(after, time, cancellationToken)) : changed;
            if (!await deadline.WaitAsync(wake))
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

        var desired = known?.Spec is { } set && !ReplicaSetManifests.Autoscaled(set.Spec)
            ? set.Spec.Replicas
            : Math.Max(deployment?.Spec?.Replicas ?? 0, MinReplicas(known) ?? 0);
        var grpc = known?.Spec is { } spec ? ReplicaSetManifests.GrpcPort(spec.Spec) : GrpcPortOf(deployment);
        var replicas = PodsOf(replicaSet).Select((pod, ordinal) => Replica(pod, ordinal, grpc)).ToList();
        return new ReplicaSetObservation(replicaSet, model, desired, replicas, manifests.ServiceAddress(replicaSet),
            grpc is { } port ? manifests.GrpcServiceAddress(replicaSet, port) : null);
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
            // Nothing retries a log read; whoever asked sees why, whatever the kind of failure.
            throw new ProvisioningException(KubernetesApiErrors.Describe($"read the log of pod {pod.Metadata.Name}", ex).Message, ex);
        }
    }

    /// <summary>The pods of a set in a stable order, so that an ordinal names the same pod from one call to the next.</summary>
    private IEnumerable<V1Pod> PodsOf(string replicaSet) => !IsOurs(replicaSet) ? [] : Pods.Items
        .Where(pod => pod.GetLabel(KubernetesLabels.Instance) == replicaSet && pod.Metadata.DeletionTimestamp is null)
        .OrderBy(pod => pod.Metadata.CreationTimestamp ?? DateTime.MinValue)
        .ThenBy(pod => pod.Metadata.Name, StringComparer.Ordinal);

    /// <summary>A set this installation applied, or whose Deployment (labelled with its id) it watches.</summary>
    private bool IsOurs(string replicaSet)
    {
        lock (_known)
        {
            if (_known.ContainsKey(replicaSet))
            {
                return true;
            }
        }

        return Deployments.Get(replicaSet) is not null;
    }

    private static int? MinReplicas(KnownSet? known) =>
        known?.Spec is { } set && ReplicaSetManifests.Autoscaled(set.Spec) ? set.Spec.MinReplicas : null;

    /// <summary>
    /// Why the rollout cannot finish without someone's help: every pod not ready has been stuck (see
    /// <see cref="PodTrouble"/>) for StuckPodTimeout. Otherwise null, and when to look again if some
    /// are stuck but not for that long yet.
    /// </summary>
    private (string? Failure, TimeSpan? Recheck) StuckPods(string replicaSet)
    {
        var waiting = PodsOf(replicaSet).Where(pod => !IsReady(pod)).Select(pod => (Pod: pod, Trouble: PodTrouble.Of(pod))).ToList();
        if (waiting.Count == 0 || waiting.Any(entry => entry.Trouble is null))
        {
            return (null, null);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var limit = Settings.StuckPodTimeout;
        var longest = waiting.Max(entry => entry.Trouble!.Since);
        if (now - longest < limit)
        {
            return (null, limit - (now - longest));
        }

        var first = waiting[0];
        return ($"{waiting.Count} pod(s) of {replicaSet} cannot start, stuck for at least {limit.TotalSeconds:0} s; pod {first.Pod.Metadata.Name}: {first.Trouble!.Reason}", null);
    }

    private static DateTimeOffset? UtcOrNull(DateTime? time) =>
        time is { } at ? new DateTimeOffset(at.Kind == DateTimeKind.Local ? at.ToUniversalTime() : DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null;

    private static bool IsReady(V1Pod pod) => pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    /// <summary>The gRPC port a Deployment's model container declares (one the deployer applied before it restarted), or null.</summary>
    private static int? GrpcPortOf(V1Deployment? deployment) =>
        deployment?.Spec?.Template?.Spec?.Containers?.FirstOrDefault(c => c.Name == ReplicaSetManifests.ContainerName)?.Ports?
            .FirstOrDefault(p => p.Name == ReplicaSetManifests.GrpcPortName)?.ContainerPort;

    private ReplicaObservation Replica(V1Pod pod, int ordinal, int? grpcPort)
    {
        var ready = IsReady(pod);
        var containers = pod.Status?.ContainerStatuses ?? [];
        var lastExit = containers.Select(c => c.LastState?.Terminated ?? c.State?.Terminated).FirstOrDefault(t => t is not null) is { } exit
            ? $"{exit.Reason ?? "exited"} (code {exit.ExitCode}){(string.IsNullOrEmpty(exit.Message) ? "" : ": " + exit.Message)}"
            : PodTrouble.Of(pod)?.Reason
                ?? (containers.Select(c => c.State?.Waiting).FirstOrDefault(w => w is not null) is { } waiting ? $"{waiting.Reason}: {waiting.Message}" : null);
        var endpoint = pod.Status?.PodIP is { } ip ? $"http://{ip}:{Settings.ContainerPort}" : string.Empty;
        // The Ready condition's transition time is when the kubelet last saw the probe flip to passing.
        var readyAt = ready ? pod.Status!.Conditions!.First(c => c.Type == "Ready").LastTransitionTime : null;
        var grpc = pod.Status?.PodIP is { } podIp && grpcPort is { } port ? $"http://{podIp}:{port}" : null;
        return new ReplicaObservation(
            ordinal, endpoint, ready, containers.Sum(c => c.RestartCount), lastExit, $"pods/{Namespace}/{pod.Metadata.Name}",
            grpc, UtcOrNull(pod.Status?.StartTime), UtcOrNull(readyAt));
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

    private void OnPodChanged(V1Pod pod)
    {
        if (pod.GetLabel(KubernetesLabels.Instance) is { } set && IsOurs(set))
        {
            OnChanged(pod.Metadata);
        }
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
    private async Task DiscoverStrayObjectsAsync(string selector, CancellationToken cancellationToken)
    {
        try
        {
            var services = await client.CoreV1.ListNamespacedServiceAsync(Namespace, labelSelector: selector, cancellationToken: cancellationToken);
            var autoscalers = await client.AutoscalingV2.ListNamespacedHorizontalPodAutoscalerAsync(Namespace, labelSelector: selector, cancellationToken: cancellationToken);
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

    /// <summary>
    /// The first lists, bounded: a refusal (RBAC, credentials, a namespace that does not match the
    /// Role's) or no answer stops the start with what to fix, instead of waiting forever.
    /// </summary>
    private async Task WaitForFirstListsAsync(CancellationToken cancellationToken)
    {
        var timeout = Settings.InitialSyncTimeout;
        try
        {
            await Task.WhenAll(Deployments.Synced, Pods.Synced).WaitAsync(timeout, time, cancellationToken);
        }
        catch (HttpOperationException ex)
        {
            var kind = Deployments.Synced.IsFaulted ? "deployments.apps" : "pods";
            throw new KubernetesAccessException(Refusal(kind, ex), ex);
        }
        catch (TimeoutException ex)
        {
            var last = Deployments.LastError ?? Pods.LastError;
            throw new KubernetesAccessException(
                $"The Kubernetes API did not list the deployer's Deployments and pods in namespace '{Namespace}' within {timeout.TotalSeconds:0} s " +
                $"(Deployer:Kubernetes:InitialSyncTimeout){(last is null ? "." : $"; the last attempt failed: {last.Message}")}",
                last ?? ex);
        }
    }

    private string Refusal(string resource, HttpOperationException exception)
    {
        var answer = KubernetesApiErrors.Describe($"list {resource} in namespace '{Namespace}'", exception).Message;
        return exception.Response?.StatusCode switch
        {
            HttpStatusCode.Unauthorized => $"{answer} The deployer's credentials were not accepted: check its service account token or KUBECONFIG.",
            HttpStatusCode.Forbidden =>
                $"{answer} The deployer needs list and watch on deployments.apps and pods (and create, patch, delete on deployments, services and " +
                $"horizontalpodautoscalers) in namespace '{Namespace}': bind its service account to the Role in deploy/kubernetes/deployer-rbac.yaml " +
                "in that namespace, or set Deployer:Kubernetes:Namespace to the namespace the Role is in.",
            _ => $"{answer} The API server does not serve {resource}: check that KUBECONFIG points at a Kubernetes API server.",
        };
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Kubernetes objects of installation {Installation} in namespace {Namespace} are this deployer's")]
    private static partial void LogInstallation(ILogger logger, string installation, string @namespace);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listing the deployer's Services and autoscalers failed; strays among them stay until the next start")]
    private static partial void LogDiscoveryFailed(ILogger logger, Exception exception);

    /// <summary>A set this deployer applied (with its spec and the generation the apply produced) or found at start.</summary>
    private sealed record KnownSet(string Id, string Deployment, ReplicaSetSpec? Spec, long AppliedGeneration);
}
