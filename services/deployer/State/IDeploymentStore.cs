using ModelPlatform.Deployer.Domain;

namespace ModelPlatform.Deployer.State;

/// <summary>
/// Where deployments are kept. Every write names the ETag it read, and fails with
/// <see cref="ConcurrencyException"/> when someone wrote in between: concurrent writers are
/// resolved by ETag, never by last-write-wins. SQLite in the embedded runtime; a Dapr state store
/// (whose API has the same ETag semantics) in production.
/// </summary>
internal interface IDeploymentStore
{
    Task<StoredDeployment?> GetAsync(string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredDeployment>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Stores a new deployment; <see cref="ConcurrencyException"/> if the name is taken.</summary>
    Task<StoredDeployment> CreateAsync(DeploymentRecord record, CancellationToken cancellationToken);

    Task<StoredDeployment> UpdateAsync(DeploymentRecord record, string etag, CancellationToken cancellationToken);

    Task DeleteAsync(string name, string etag, CancellationToken cancellationToken);

    /// <summary>Increments and returns the route table's version, which survives restarts.</summary>
    Task<long> NextRouteVersionAsync(CancellationToken cancellationToken);
}

/// <summary>A record and the store's ETag for it.</summary>
internal sealed record StoredDeployment(DeploymentRecord Record, string ETag);

/// <summary>The ETag did not match: someone else wrote first.</summary>
internal sealed class ConcurrencyException(string message) : Exception(message);
