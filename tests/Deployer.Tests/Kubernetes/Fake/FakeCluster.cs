using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ModelPlatform.Deployer.Tests.Kubernetes.Fake;

/// <summary>
/// The fake API server's storage: objects by kind and name with a cluster-wide resourceVersion, the
/// event history watches replay from, and just enough of the Deployment controller (pods, status,
/// conditions) for a test to make a rollout succeed or stall. As in a real cluster, the controllers
/// act after the request that changed something has been answered: the Deployment controller
/// (status lags the spec; a changed template surges new pods while the old ones stay, counted in
/// replicas, readyReplicas and availableReplicas, until new ones are ready) and the autoscaler (an
/// autoscaled Deployment starts at the API's default of 1 replica and reaches minReplicas only at the
/// autoscaler's sync).
/// </summary>
public sealed class FakeCluster
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(Resource, string), JsonObject> _objects = [];
    private readonly List<WatchEvent> _history = [];
    private readonly HashSet<string> _stalled = new(StringComparer.Ordinal);
    private readonly HashSet<string> _readyPods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakePodTrouble> _trouble = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _logs = new(StringComparer.Ordinal);
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _version = 100;
    private long _oldestResumable;

    /// <summary>Pods become ready as soon as they exist.</summary>
    public bool AutoReady { get; set; }

    /// <summary>The controller does not react to changes until <see cref="Reconcile"/>, so a Deployment's status lags its spec.</summary>
    public bool ControllerPaused { get; set; }

    /// <summary>Autoscalers do not sync until <see cref="SyncAutoscalers"/>, as before the first 15 s sync (or without metrics).</summary>
    public bool AutoscalerPaused { get; set; }

    public string Namespace { get; init; } = "models";

    public string Version
    {
        get
        {
            lock (_lock)
            {
                return _version.ToString(CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>Completes at the next change.</summary>
    public Task Appended
    {
        get
        {
            lock (_lock)
            {
                return _appended.Task;
            }
        }
    }

    public JsonObject? Get(Resource resource, string name)
    {
        lock (_lock)
        {
            return _objects.TryGetValue((resource, name), out var found) ? (JsonObject)found.DeepClone() : null;
        }
    }

    public List<JsonObject> List(Resource resource, Func<JsonObject, bool>? filter = null)
    {
        lock (_lock)
        {
            return [.. _objects.Where(pair => pair.Key.Item1 == resource && (filter?.Invoke(pair.Value) ?? true))
                .OrderBy(pair => pair.Key.Item2, StringComparer.Ordinal)
                .Select(pair => (JsonObject)pair.Value.DeepClone())];
        }
    }

    /// <summary>Events after <paramref name="after"/>; null when that version is older than the history kept (410 Gone).</summary>
    public List<WatchEvent>? EventsAfter(long after)
    {
        lock (_lock)
        {
            return after < _oldestResumable ? null : [.. _history.Where(e => e.Version > after)];
        }
    }

    /// <summary>Forgets the history so far: a watch resumed from an older version gets 410 Gone and must list again.</summary>
    public void Compact()
    {
        lock (_lock)
        {
            _oldestResumable = _version;
            _history.Clear();
        }
    }

    public JsonObject Create(Resource resource, JsonObject manifest)
    {
        lock (_lock)
        {
            var name = (string)manifest["metadata"]!["name"]!;
            if (_objects.ContainsKey((resource, name)))
            {
                throw KubernetesStatusException.AlreadyExists(resource, name);
            }

            return Store(resource, manifest, existing: null);
        }
    }

    /// <summary>Server-side apply by the one field manager the tests use: the applied fields replace ours, status and server fields stay.</summary>
    public JsonObject Apply(Resource resource, string name, JsonObject manifest)
    {
        lock (_lock)
        {
            _objects.TryGetValue((resource, name), out var existing);
            var requested = (string?)manifest["metadata"]?["resourceVersion"];
            if (requested is not null && existing is not null && requested != (string?)existing["metadata"]!["resourceVersion"])
            {
                throw new KubernetesStatusException(409, "Conflict",
                    $"Operation cannot be fulfilled on {resource.Plural}{resource.GroupSuffix} \"{name}\": the object has been modified; please apply your changes to the latest version and try again");
            }

            return Store(resource, manifest, existing);
        }
    }

    public JsonObject Delete(Resource resource, string name, string? propagationPolicy)
    {
        lock (_lock)
        {
            if (!_objects.Remove((resource, name), out var removed))
            {
                throw KubernetesStatusException.NotFound(resource, name);
            }

            Record(resource, "DELETED", removed);
            if (resource == Resource.Deployments && propagationPolicy != "Orphan")
            {
                foreach (var pod in PodsOf(name))
                {
                    _objects.Remove((Resource.Pods, Name(pod)));
                    Record(Resource.Pods, "DELETED", pod);
                }
            }

            return removed;
        }
    }

    /// <summary>Puts an object in place as if someone else had made it (a previous deployer, say).</summary>
    public void Seed(Resource resource, JsonObject manifest)
    {
        lock (_lock)
        {
            Store(resource, manifest, existing: null);
        }
    }

    /// <summary>
    /// Makes the Deployment's pods of its current template ready (all, or the first
    /// <paramref name="pods"/> not ready yet) and lets the controller take the rollout as far as that allows.
    /// </summary>
    public void MakeReady(string deployment, int? pods = null)
    {
        lock (_lock)
        {
            Run(deployment, true);
            var hash = TemplateHash(deployment);
            foreach (var pod in PodsOf(deployment).Where(pod => Hash(pod) == hash && !_readyPods.Contains(Name(pod))).Take(pods ?? int.MaxValue).ToList())
            {
                _readyPods.Add(Name(pod));
            }

            Run(deployment, true);
        }
    }

    /// <summary>The rollout stops progressing, as when its progress deadline passes.</summary>
    public void Stall(string deployment)
    {
        lock (_lock)
        {
            _stalled.Add(deployment);
            Run(deployment, true);
        }
    }

    /// <summary>
    /// The Deployment's pods that are not ready stay Pending with PodScheduled=False, as when no node
    /// has the resources they request ("0/5 nodes are available: 5 Insufficient nvidia.com/gpu").
    /// </summary>
    public void Unschedulable(string deployment, string message)
    {
        lock (_lock)
        {
            _trouble[deployment] = new FakePodTrouble(Scheduling: false, "Unschedulable", message);
            Run(deployment, true);
        }
    }

    /// <summary>The Deployment's pods that are not ready cannot pull their image (ErrImagePull, then ImagePullBackOff).</summary>
    public void FailImagePull(string deployment, string message, string reason = "ImagePullBackOff")
    {
        lock (_lock)
        {
            _trouble[deployment] = new FakePodTrouble(Scheduling: true, reason, message);
            Run(deployment, true);
        }
    }

    /// <summary>Runs the controller for the Deployment once, even while <see cref="ControllerPaused"/>.</summary>
    public void Reconcile(string deployment)
    {
        lock (_lock)
        {
            Run(deployment, true);
        }
    }

    /// <summary>What every autoscaler does at its sync: bring its target within its bounds. Runs even while <see cref="AutoscalerPaused"/>.</summary>
    public void SyncAutoscalers()
    {
        lock (_lock)
        {
            foreach (var autoscaler in _objects.Where(pair => pair.Key.Item1 == Resource.Autoscalers).Select(pair => pair.Value).ToList())
            {
                Autoscale(autoscaler);
            }
        }
    }

    public void SetLog(string pod, string text)
    {
        lock (_lock)
        {
            _logs[pod] = text;
        }
    }

    public string? Log(string pod)
    {
        lock (_lock)
        {
            return _objects.ContainsKey((Resource.Pods, pod)) ? _logs.GetValueOrDefault(pod, "") : null;
        }
    }

    private JsonObject Store(Resource resource, JsonObject manifest, JsonObject? existing)
    {
        var name = (string)manifest["metadata"]!["name"]!;
        var stored = (JsonObject)manifest.DeepClone();
        var metadata = (JsonObject)stored["metadata"]!;
        metadata["namespace"] = Namespace;
        metadata["uid"] = (string?)existing?["metadata"]?["uid"] ?? Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = (string?)existing?["metadata"]?["creationTimestamp"] ?? DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var generation = (long?)existing?["metadata"]?["generation"] ?? 0;
        var specChanged = existing is null || !JsonNode.DeepEquals(existing["spec"], Spec(resource, stored, existing));
        stored["spec"] = Spec(resource, stored, existing);
        metadata["generation"] = specChanged ? generation + 1 : generation;
        if (existing?["status"] is { } status)
        {
            stored["status"] = status.DeepClone();
        }

        Put(resource, name, stored, existing is null ? "ADDED" : "MODIFIED");
        if (resource == Resource.Deployments)
        {
            Later(() => Run(name, false));
        }

        if (resource == Resource.Deployments || resource == Resource.Autoscalers)
        {
            Later(() =>
            {
                if (!AutoscalerPaused)
                {
                    foreach (var autoscaler in _objects.Where(pair => pair.Key.Item1 == Resource.Autoscalers).Select(pair => pair.Value).ToList())
                    {
                        Autoscale(autoscaler);
                    }
                }
            });
        }

        return (JsonObject)_objects[(resource, name)].DeepClone();
    }

    /// <summary>What an autoscaler does first: bring its target within its bounds.</summary>
    private void Autoscale(JsonObject autoscaler)
    {
        var target = (string?)autoscaler["spec"]?["scaleTargetRef"]?["name"];
        if (target is null || !_objects.TryGetValue((Resource.Deployments, target), out var deployment))
        {
            return;
        }

        var replicas = (int?)deployment["spec"]!["replicas"] ?? 1;
        var bounded = Math.Clamp(replicas, (int?)autoscaler["spec"]!["minReplicas"] ?? 1, (int?)autoscaler["spec"]!["maxReplicas"] ?? replicas);
        if (bounded != replicas)
        {
            var scaled = (JsonObject)deployment.DeepClone();
            scaled["spec"]!["replicas"] = bounded;
            scaled["metadata"]!["generation"] = (long)scaled["metadata"]!["generation"]! + 1;
            Put(Resource.Deployments, target, scaled, "MODIFIED");
            Later(() => Run(target, false));
        }
    }

    /// <summary>The spec as stored: a Deployment applied without replicas keeps the count it had (the autoscaler's), or 1.</summary>
    private static JsonNode? Spec(Resource resource, JsonObject applied, JsonObject? existing)
    {
        var spec = applied["spec"]?.DeepClone();
        if (resource == Resource.Deployments && spec is JsonObject deployment && deployment["replicas"] is null)
        {
            deployment["replicas"] = (int?)existing?["spec"]?["replicas"] ?? 1;
        }

        return spec;
    }

    /// <summary>Runs <paramref name="action"/> under the lock once the current request has been answered, as a controller would.</summary>
    private void Later(Action action) => ThreadPool.QueueUserWorkItem(_ =>
    {
        lock (_lock)
        {
            action();
        }
    });

    /// <summary>
    /// One pass of the Deployment controller: a rolling update with maxUnavailable 0 and maxSurge 25%
    /// (new pods up to desired plus the surge; an old pod goes only when a new one is ready), then the
    /// pods' and the Deployment's status.
    /// </summary>
    private void Run(string deployment, bool force)
    {
        if ((ControllerPaused && !force) || !_objects.TryGetValue((Resource.Deployments, deployment), out var current))
        {
            return;
        }

        var spec = (JsonObject)current["spec"]!;
        var desired = (int?)spec["replicas"] ?? 1;
        var template = (JsonObject)spec["template"]!;
        var hash = TemplateHash(deployment)!;
        var surge = Math.Max(1, (int)Math.Ceiling(desired * 0.25));
        for (var changed = true; changed;)
        {
            changed = false;
            var pods = PodsOf(deployment);
            var fresh = pods.Where(pod => Hash(pod) == hash).ToList();
            var old = pods.Where(pod => Hash(pod) != hash).ToList();

            // Old pods that are not ready go at once; ready ones only as new ones are ready to take over.
            var keep = Math.Max(0, desired - fresh.Count(pod => _readyPods.Contains(Name(pod))));
            var surplus = old.OrderBy(pod => _readyPods.Contains(Name(pod))).Take(Math.Max(0, old.Count - keep))
                .Concat(fresh.OrderBy(pod => _readyPods.Contains(Name(pod))).Take(Math.Max(0, fresh.Count - desired))).ToList();
            foreach (var stale in surplus)
            {
                _objects.Remove((Resource.Pods, Name(stale)));
                Record(Resource.Pods, "DELETED", stale);
                changed = true;
            }

            var remaining = pods.Count - surplus.Count;
            var freshCount = Math.Min(fresh.Count, desired);
            for (var add = Math.Min(desired - freshCount, desired + surge - remaining); add > 0; add--)
            {
                CreatePod(deployment, template, hash);
                changed = true;
            }
        }

        foreach (var pod in PodsOf(deployment))
        {
            var status = PodStatus(pod, _trouble.GetValueOrDefault(deployment));
            if (!JsonNode.DeepEquals(pod["status"], status))
            {
                pod["status"] = status;
                Put(Resource.Pods, Name(pod), pod, "MODIFIED");
            }
        }

        var all = PodsOf(deployment);
        var readyCount = all.Count(pod => _readyPods.Contains(Name(pod)));
        var updated = all.Count(pod => Hash(pod) == hash);
        var updatedReady = all.Count(pod => Hash(pod) == hash && _readyPods.Contains(Name(pod)));
        var progressing = _stalled.Contains(deployment)
            ? new JsonObject { ["type"] = "Progressing", ["status"] = "False", ["reason"] = "ProgressDeadlineExceeded", ["message"] = $"ReplicaSet \"{deployment}-{hash}\" has timed out progressing." }
            : new JsonObject { ["type"] = "Progressing", ["status"] = "True", ["reason"] = updatedReady >= desired && all.Count == updated ? "NewReplicaSetAvailable" : "ReplicaSetUpdated", ["message"] = $"ReplicaSet \"{deployment}-{hash}\" is progressing." };
        var deploymentStatus = new JsonObject
        {
            ["observedGeneration"] = (long)current["metadata"]!["generation"]!,
            ["replicas"] = all.Count,
            ["updatedReplicas"] = updated,
            ["readyReplicas"] = readyCount,
            ["availableReplicas"] = readyCount,
            ["conditions"] = new JsonArray(
                new JsonObject { ["type"] = "Available", ["status"] = readyCount >= desired ? "True" : "False", ["reason"] = "MinimumReplicasAvailable" },
                progressing),
        };
        if (!JsonNode.DeepEquals(current["status"], deploymentStatus))
        {
            var updatedDeployment = (JsonObject)current.DeepClone();
            updatedDeployment["status"] = deploymentStatus;
            Put(Resource.Deployments, deployment, updatedDeployment, "MODIFIED");
        }
    }

    private void CreatePod(string deployment, JsonObject template, string hash)
    {
        var podName = $"{deployment}-{hash}-{Guid.NewGuid().ToString("N")[..5]}";
        if (AutoReady && !_trouble.ContainsKey(deployment))
        {
            _readyPods.Add(podName);
        }

        var labels = (JsonObject)template["metadata"]!["labels"]!.DeepClone();
        labels["pod-template-hash"] = hash;
        Put(Resource.Pods, podName, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = podName,
                ["namespace"] = Namespace,
                ["uid"] = Guid.NewGuid().ToString(),
                ["labels"] = labels,
                ["creationTimestamp"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                ["ownerReferences"] = new JsonArray(new JsonObject { ["kind"] = "Deployment", ["name"] = deployment }),
            },
            ["spec"] = template["spec"]!.DeepClone(),
        }, "ADDED");
    }

    /// <summary>When the pod's Ready condition turned True: kept from its status if it was ready already, else now.</summary>
    private static string ReadySince(JsonObject pod) =>
        (pod["status"]?["conditions"] as JsonArray)?.FirstOrDefault(c => (string?)c!["type"] == "Ready" && (string?)c["status"] == "True")?["lastTransitionTime"]?.GetValue<string>()
            ?? DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>A pod's status as the kubelet and scheduler would report it: running (ready or not), unschedulable, or waiting on its image.</summary>
    private JsonObject PodStatus(JsonObject pod, FakePodTrouble? trouble)
    {
        var name = Name(pod);
        var ready = _readyPods.Contains(name);
        var since = (string?)pod["metadata"]!["creationTimestamp"];
        if (!ready && trouble is { Scheduling: false })
        {
            return new JsonObject
            {
                ["phase"] = "Pending",
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "PodScheduled",
                    ["status"] = "False",
                    ["reason"] = trouble.Reason,
                    ["message"] = trouble.Message,
                    ["lastTransitionTime"] = since,
                }),
            };
        }

        var waiting = !ready && trouble is { Scheduling: true };
        return new JsonObject
        {
            ["phase"] = waiting ? "Pending" : "Running",
            ["podIP"] = $"10.1.0.{(uint)name.GetHashCode(StringComparison.Ordinal) % 250}",
            ["startTime"] = since,
            ["conditions"] = new JsonArray(
                new JsonObject { ["type"] = "PodScheduled", ["status"] = "True" },
                new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False", ["lastTransitionTime"] = ready ? ReadySince(pod) : since }),
            ["containerStatuses"] = new JsonArray(new JsonObject
            {
                ["name"] = "model",
                ["ready"] = ready,
                ["restartCount"] = 0,
                ["image"] = "x",
                ["imageID"] = "",
                ["state"] = waiting
                    ? new JsonObject { ["waiting"] = new JsonObject { ["reason"] = trouble!.Reason, ["message"] = trouble.Message } }
                    : new JsonObject { ["running"] = new JsonObject() },
            }),
        };
    }

    private string? TemplateHash(string deployment) =>
        _objects.TryGetValue((Resource.Deployments, deployment), out var current)
            ? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(current["spec"]!["template"]!.ToJsonString())))[..10]
            : null;

    private static string? Hash(JsonObject pod) => (string?)pod["metadata"]!["labels"]!["pod-template-hash"];

    private List<JsonObject> PodsOf(string deployment) =>
        [.. _objects.Where(pair => pair.Key.Item1 == Resource.Pods && (string?)pair.Value["metadata"]!["ownerReferences"]![0]!["name"] == deployment)
            .OrderBy(pair => pair.Key.Item2, StringComparer.Ordinal).Select(pair => pair.Value)];

    private void Put(Resource resource, string name, JsonObject value, string type)
    {
        _version++;
        value["metadata"]!["resourceVersion"] = _version.ToString(CultureInfo.InvariantCulture);
        _objects[(resource, name)] = value;
        Record(resource, type, value);
    }

    private void Record(Resource resource, string type, JsonObject value)
    {
        var snapshot = (JsonObject)value.DeepClone();
        if (type == "DELETED")
        {
            _version++;
            snapshot["metadata"]!["resourceVersion"] = _version.ToString(CultureInfo.InvariantCulture);
        }

        _history.Add(new WatchEvent(_version, resource, type, snapshot));
        _appended.TrySetResult();
        _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static string Name(JsonObject item) => (string)item["metadata"]!["name"]!;
}

/// <summary>Why a Deployment's pods that are not ready cannot start: no node for them (<paramref name="Scheduling"/> false), or their image.</summary>
internal sealed record FakePodTrouble(bool Scheduling, string Reason, string Message);

/// <summary>One entry of the history watches replay.</summary>
public sealed record WatchEvent(long Version, Resource Resource, string Type, JsonObject Item);
