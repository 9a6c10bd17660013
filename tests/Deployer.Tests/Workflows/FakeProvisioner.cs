using System.Collections.Concurrent;
using ModelPlatform.Deployer.Provisioning;

namespace ModelPlatform.Deployer.Tests.Workflows;

/// <summary>
/// A provisioner that keeps its replica sets in memory. <see cref="EnsureFailures"/> are thrown by
/// the next calls to <see cref="EnsureAsync"/>, one each, before it succeeds.
/// </summary>
internal sealed class FakeProvisioner : IReplicaProvisioner
{
    private readonly ConcurrentDictionary<string, ReplicaSetSpec> _sets = new(StringComparer.Ordinal);

    public ConcurrentQueue<Exception> EnsureFailures { get; } = new();

    public int EnsureCalls;

    /// <summary>Sets that never become ready, with the reason given.</summary>
    public ConcurrentDictionary<string, string> NeverReady { get; } = new(StringComparer.Ordinal);

    public event Action<string>? ReplicasChanged;

    public void Add(ReplicaSetSpec spec) => _sets[spec.Id] = spec;

    public Task EnsureAsync(ReplicaSetSpec spec, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref EnsureCalls);
        if (EnsureFailures.TryDequeue(out var failure))
        {
            throw failure;
        }

        _sets[spec.Id] = spec;
        ReplicasChanged?.Invoke(spec.Deployment);
        return Task.CompletedTask;
    }

    public Task<ReplicaSetReadiness> WaitUntilReadyAsync(string replicaSet, TimeSpan timeout, CancellationToken cancellationToken) =>
        Task.FromResult(NeverReady.TryGetValue(replicaSet, out var reason) ? new ReplicaSetReadiness(false, reason) : new ReplicaSetReadiness(true, null));

    public Task RemoveAsync(string replicaSet, CancellationToken cancellationToken)
    {
        _sets.TryRemove(replicaSet, out _);
        return Task.CompletedTask;
    }

    public ReplicaSetObservation? Observe(string replicaSet) =>
        _sets.TryGetValue(replicaSet, out var spec)
            ? new ReplicaSetObservation(spec.Id, spec.Deployment, spec.Spec.Replicas,
                [.. Enumerable.Range(0, spec.Spec.Replicas).Select(ordinal => new ReplicaObservation(ordinal, $"http://127.0.0.1:{9000 + ordinal}", true, 0, null, "/dev/null"))])
            : null;

    public IReadOnlyCollection<string> ReplicaSets() => [.. _sets.Keys];

    public Task<string?> ReadLogAsync(string replicaSet, int ordinal, int tailLines, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
}
