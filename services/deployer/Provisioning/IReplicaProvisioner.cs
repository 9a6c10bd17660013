using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Provisioning;

/// <summary>
/// Runs replica sets: the replicas of one variant spec of one deployment. Every operation is
/// idempotent, since a workflow activity may run again after a crash. Local processes in the
/// embedded runtime; Deployments and Services on Kubernetes in production.
/// </summary>
internal interface IReplicaProvisioner
{
    /// <summary>Raised with the deployment's name when one of its replicas becomes ready or stops being ready.</summary>
    event Action<string>? ReplicasChanged;

    /// <summary>Makes the set exist with exactly the spec's replica count; starts or stops replicas to get there.</summary>
    Task EnsureAsync(ReplicaSetSpec spec, CancellationToken cancellationToken);

    /// <summary>Waits until every desired replica is ready, the set gives up (replicas that keep failing), or time runs out.</summary>
    Task<ReplicaSetReadiness> WaitUntilReadyAsync(string replicaSet, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Stops every replica of the set and forgets it; nothing if it does not exist.</summary>
    Task RemoveAsync(string replicaSet, CancellationToken cancellationToken);

    /// <summary>What the set's replicas are doing now, or null if the set does not exist.</summary>
    ReplicaSetObservation? Observe(string replicaSet);

    /// <summary>The ids of every set this provisioner runs.</summary>
    IReadOnlyCollection<string> ReplicaSets();

    /// <summary>The last lines a replica wrote, or null if there is no such replica.</summary>
    Task<string?> ReadLogAsync(string replicaSet, int ordinal, int tailLines, CancellationToken cancellationToken);
}

/// <summary>What a replica set runs.</summary>
internal sealed record ReplicaSetSpec(string Id, string Deployment, string Variant, VariantSpec Spec);

/// <summary>
/// A set's replicas as observed. With a <paramref name="Service"/> (one address that spreads
/// requests over the ready replicas, as a Kubernetes Service does), traffic goes there while any
/// replica is ready, and gRPC to <paramref name="GrpcService"/> when the set speaks it; without one,
/// straight to each ready replica.
/// </summary>
internal sealed record ReplicaSetObservation(
    string Id, string Deployment, int Desired, IReadOnlyList<ReplicaObservation> Replicas, string? Service = null, string? GrpcService = null)
{
    public int Ready => Replicas.Count(replica => replica.Ready);

    public IReadOnlyList<string> ReadyEndpoints => Service is null
        ? [.. Replicas.Where(replica => replica.Ready).Select(replica => replica.Endpoint)]
        : Ready > 0 ? [Service] : [];

    /// <summary>The gRPC address of each ready endpoint that has one, keyed by the endpoint.</summary>
    public IReadOnlyDictionary<string, string> ReadyGrpcEndpoints => Service is null
        ? Replicas.Where(replica => replica is { Ready: true, GrpcEndpoint: not null })
            .ToDictionary(replica => replica.Endpoint, replica => replica.GrpcEndpoint!, StringComparer.Ordinal)
        : Ready > 0 && GrpcService is not null
            ? new Dictionary<string, string>(StringComparer.Ordinal) { [Service] = GrpcService }
            : new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>
/// One replica as observed: <paramref name="GrpcEndpoint"/> is where it serves gRPC, if it does;
/// <paramref name="StartedAt"/> and <paramref name="ReadyAt"/> (when its current process or container
/// started, when its readiness probe first passed since) where known.
/// </summary>
internal sealed record ReplicaObservation(
    int Ordinal, string Endpoint, bool Ready, int Restarts, string? LastExit, string LogPath,
    string? GrpcEndpoint = null, DateTimeOffset? StartedAt = null, DateTimeOffset? ReadyAt = null);

/// <summary>The outcome of waiting for a set: ready, or why not.</summary>
internal sealed record ReplicaSetReadiness(bool Ready, string? Reason);
