namespace ModelPlatform.Deployer.Provisioning.Processes;

/// <summary>
/// Which replica processes are running, kept outside the deployer's memory so that a restarted
/// deployer finds the replicas a crashed one left and adopts or stops them.
/// </summary>
internal interface IReplicaRegistry
{
    Task SaveAsync(RegisteredReplica replica, CancellationToken cancellationToken);

    Task RemoveAsync(string replicaSet, int ordinal, CancellationToken cancellationToken);

    Task<IReadOnlyList<RegisteredReplica>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A replica process as registered: where it runs, what it runs, and which process it is
/// (<paramref name="Identity"/>, null only for a replica registered before identities were kept).
/// </summary>
internal sealed record RegisteredReplica(string ReplicaSet, int Ordinal, int Pid, int Port, ReplicaSetSpec Spec, ProcessIdentity? Identity = null);
