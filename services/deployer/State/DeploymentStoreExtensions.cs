using ModelPlatform.Deployer.Domain;

namespace ModelPlatform.Deployer.State;

internal static class DeploymentStoreExtensions
{
    /// <summary>
    /// Read, change, write with the ETag read; on a conflict read again and re-apply. The change
    /// returns null to leave the record as it is (or when it is gone).
    /// </summary>
    public static async Task<StoredDeployment?> UpdateAsync(
        this IDeploymentStore store, string name, Func<DeploymentRecord, DeploymentRecord?> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = await store.GetAsync(name, cancellationToken);
            if (current is null || change(current.Record) is not { } changed)
            {
                return current;
            }

            try
            {
                return await store.UpdateAsync(changed, current.ETag, cancellationToken);
            }
            catch (ConcurrencyException) when (attempt < 20)
            {
            }
        }
    }
}
