using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Audit;

/// <summary>
/// Where the audit trail is kept. Accepted changes are written through it, each with its entry in
/// one transaction, so that no change is ever stored without its entry (nor an entry without its
/// change): SQLite in the embedded runtime; with a Dapr state store, one state transaction holding
/// both keys. Entries outlive the deployments they are about.
/// </summary>
internal interface IAuditLog
{
    /// <summary>
    /// Stores a new deployment with its entry. <see cref="ConcurrencyException"/> if the name is
    /// taken; <see cref="QuotaExceededException"/> if <paramref name="maxDeployments"/> exist already,
    /// counted in the same transaction, so parallel creates cannot both take the last place.
    /// </summary>
    Task<StoredDeployment> CreateAsync(DeploymentRecord record, AuditDraft entry, int maxDeployments, CancellationToken cancellationToken);

    /// <summary>Writes the record if the store still has <paramref name="etag"/>, with its entry; <see cref="ConcurrencyException"/> if not.</summary>
    Task<StoredDeployment> UpdateAsync(DeploymentRecord record, string etag, AuditDraft entry, CancellationToken cancellationToken);

    /// <summary>
    /// Sets the outcome of the deployment's entry at <paramref name="revision"/>, and marks its older
    /// entries still pending as superseded. Only pending entries change, so settling twice is harmless.
    /// </summary>
    Task SettleAsync(string deploymentUid, long revision, AuditOutcome outcome, CancellationToken cancellationToken);

    Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken);
}
