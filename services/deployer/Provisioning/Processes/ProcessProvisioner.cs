using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Common;
using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.Provisioning.Processes;

/// <summary>
/// The embedded provisioner: each replica is a supervised local process. On start it adopts the
/// replicas a previous deployer left running (or stops those it cannot vouch for); on shutdown it
/// stops every replica, so no process outlives the deployer that owns it.
/// </summary>
internal sealed partial class ProcessProvisioner(
    ReplicaLauncher launcher,
    IReplicaRegistry registry,
    IOptions<DeployerOptions> options,
    IHttpClientFactory httpClients,
    ILogger<ProcessProvisioner> logger) : IReplicaProvisioner, IHostedService, IDisposable
{
    public const string ProbeClient = "replica-probe";

    private readonly Dictionary<string, ReplicaSet> _sets = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _stopped;
    private readonly string _logs = Path.Combine(Path.GetFullPath(options.Value.DataDirectory), "logs");

    public event Action<string>? ReplicasChanged;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var adopted = new HashSet<int>();
            foreach (var replica in await registry.ListAsync(cancellationToken))
            {
                if (IdentifyRegistered(replica) is { } identity)
                {
                    var set = GetOrAdd(replica.Spec);
                    var registered = replica with { Identity = identity };
                    if (replica.Identity is null)
                    {
                        await registry.SaveAsync(registered, cancellationToken);
                    }

                    lock (_sets)
                    {
                        set.Replicas.Add(NewReplica(set, replica.Ordinal, registered));
                    }

                    adopted.Add(replica.Pid);
                    LogAdopted(logger, replica.ReplicaSet, replica.Ordinal, replica.Pid);
                }
                else
                {
                    await registry.RemoveAsync(replica.ReplicaSet, replica.Ordinal, cancellationToken);
                }
            }

            // A deployer that crashed between starting a replica and registering it left a process
            // nobody accounts for: it is this deployer's (its log is here), so it stops.
            foreach (var pid in launcher.FindReplicaProcesses(_logs).Where(pid => !adopted.Contains(pid)))
            {
                if (ProcessIdentity.Of(pid) is { } stray)
                {
                    LogStrayStopped(logger, pid);
                    PosixSignals.Terminate(pid, candidate => ProcessIdentity.Of(candidate) == stray);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>
    /// The identity of a registered replica that still runs, or null when its pid is gone or now
    /// belongs to another process. An entry from before identities were kept is vouched for by what
    /// the process runs and where it logs, and its identity is taken now.
    /// </summary>
    private ProcessIdentity? IdentifyRegistered(RegisteredReplica replica)
    {
        if (!PosixSignals.IsAlive(replica.Pid) || !launcher.IsReplicaProcess(replica.Pid, _logs))
        {
            return null;
        }

        return replica.Identity is { } identity
            ? launcher.IsSameProcess(replica.Pid, identity) ? identity : null
            : ProcessIdentity.Of(replica.Pid);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Replicas must stop even when the shutdown budget is spent: waiting is cheaper than an orphan.
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            _stopped = true;
            await Task.WhenAll(_sets.Values.SelectMany(set => set.Replicas).Select(replica => replica.StopAsync()));
            _sets.Clear();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task EnsureAsync(ReplicaSetSpec spec, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_stopped)
            {
                return;
            }

            var set = GetOrAdd(spec);
            var desired = spec.Spec.Replicas;
            List<ProcessReplica> surplus;
            var started = new List<ProcessReplica>();
            lock (_sets)
            {
                set.Spec = spec;
                var ordinals = set.Replicas.Select(replica => replica.Ordinal).ToHashSet();
                for (var ordinal = 0; set.Replicas.Count < desired; ordinal++)
                {
                    if (ordinals.Add(ordinal))
                    {
                        var replica = NewReplica(set, ordinal, adopted: null);
                        set.Replicas.Add(replica);
                        started.Add(replica);
                    }
                }

                surplus = [.. set.Replicas.OrderByDescending(replica => replica.Ordinal).Take(set.Replicas.Count - desired)];
                foreach (var replica in surplus)
                {
                    set.Replicas.Remove(replica);
                }
            }

            await Task.WhenAll(surplus.Select(replica => replica.StopAsync()));

            // Registered before the activity that asked for them completes: a crash right after
            // leaves replicas the next deployer finds and adopts, not strangers it doubles.
            await Task.WhenAll(started.Select(replica => replica.Launched));
            set.Signal();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<ReplicaSetReadiness> WaitUntilReadyAsync(string replicaSet, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = new ChangeDeadline(timeout, cancellationToken);
        while (true)
        {
            Task changed;
            lock (_sets)
            {
                if (!_sets.TryGetValue(replicaSet, out var set))
                {
                    return new ReplicaSetReadiness(false, $"replica set {replicaSet} does not exist");
                }

                changed = set.Changed;
                var observation = Observe(set);
                if (observation.Ready >= observation.Desired)
                {
                    return new ReplicaSetReadiness(true, null);
                }

                if (set.Replicas.FirstOrDefault(r => r.FailedStarts >= options.Value.MaxFailedStarts) is { } failing)
                {
                    return new ReplicaSetReadiness(false,
                        $"replica {failing.Ordinal} failed {failing.FailedStarts} times without becoming ready: {failing.LastExit}");
                }
            }

            if (!await deadline.WaitAsync(changed))
            {
                var observation = Observe(replicaSet);
                return new ReplicaSetReadiness(false,
                    $"{observation?.Ready ?? 0} of {observation?.Desired ?? 0} replicas ready after {timeout.TotalSeconds:F0} s");
            }
        }
    }

    public async Task RemoveAsync(string replicaSet, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ReplicaSet? set;
            lock (_sets)
            {
                if (_sets.Remove(replicaSet, out set))
                {
                    set.Signal();
                }
            }

            if (set is not null)
            {
                await Task.WhenAll(set.Replicas.Select(replica => replica.StopAsync()));
                ReplicasChanged?.Invoke(set.Spec.Deployment);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public ReplicaSetObservation? Observe(string replicaSet)
    {
        lock (_sets)
        {
            return _sets.TryGetValue(replicaSet, out var set) ? Observe(set) : null;
        }
    }

    public IReadOnlyCollection<string> ReplicaSets()
    {
        lock (_sets)
        {
            return [.. _sets.Keys];
        }
    }

    public Task<string?> ReadLogAsync(string replicaSet, int ordinal, int tailLines, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_logs, replicaSet, $"replica-{ordinal}.log");
        return Task.FromResult(File.Exists(path) ? ReplicaLogs.Tail(path, tailLines) : null);
    }

    private static ReplicaSetObservation Observe(ReplicaSet set) =>
        new(set.Spec.Id, set.Spec.Deployment, set.Spec.Spec.Replicas, [.. set.Replicas.Select(replica => replica.Observe()).OrderBy(r => r.Ordinal)]);

    private ReplicaSet GetOrAdd(ReplicaSetSpec spec)
    {
        lock (_sets)
        {
            if (!_sets.TryGetValue(spec.Id, out var set))
            {
                set = new ReplicaSet(spec);
                _sets.Add(spec.Id, set);
            }

            return set;
        }
    }

    private ProcessReplica NewReplica(ReplicaSet set, int ordinal, RegisteredReplica? adopted) => new(
        set.Spec,
        ordinal,
        Path.Combine(_logs, set.Spec.Id, $"replica-{ordinal}.log"),
        launcher,
        registry,
        options,
        httpClients.CreateClient(ProbeClient),
        () =>
        {
            set.Signal();
            ReplicasChanged?.Invoke(set.Spec.Deployment);
        },
        logger,
        adopted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopped replica process {Pid}: it was started under this deployer's data directory but never registered")]
    private static partial void LogStrayStopped(ILogger logger, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Adopted replica {ReplicaSet}/{Ordinal} (pid {Pid}) left running by a previous deployer")]
    private static partial void LogAdopted(ILogger logger, string replicaSet, int ordinal, int pid);

    /// <summary>The replicas of one set, and a signal that completes whenever one of them changes.</summary>
    private sealed class ReplicaSet(ReplicaSetSpec spec)
    {
        private readonly ChangeSignal _changed = new();

        public ReplicaSetSpec Spec { get; set; } = spec;

        public List<ProcessReplica> Replicas { get; } = [];

        public Task Changed => _changed.Changed;

        public void Signal() => _changed.Signal();
    }
}
