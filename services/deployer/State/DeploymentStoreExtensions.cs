using ModelPlatform.Deployer.Domain;

namespace ModelPlatform.Deployer.State;

internal static class DeploymentStoreExtensions
{
    /// <summary>
    /// Read, change, write with the ETag read; on a conflict read again and re-apply (see
    /// <see cref="ConflictRetry"/>). The change returns null to leave the record as it is (or when it is gone).
    /// </summary>
    public static Task<StoredDeployment?> UpdateAsync(
        this IDeploymentStore store, string name, Func<DeploymentRecord, DeploymentRecord?> change, CancellationToken cancellationToken) =>
        ConflictRetry.RunAsync(async () =>
        {
            var current = await store.GetAsync(name, cancellationToken);
            return current is null || change(current.Record) is not { } changed
                ? current
                : await store.UpdateAsync(changed, current.ETag, cancellationToken);
        });
}
