using System.Text.Json;
using Dapr;
using Dapr.Client;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.State.Dapr;

/// <summary>
/// The deployer's state store component through the sidecar: reads with their ETags, and writes
/// as transaction operations that name the ETag they expect (none: the key must not exist yet).
/// A sidecar or store that cannot be used surfaces as <see cref="StoreUnavailableException"/>, a
/// lost race as a failed <see cref="TryTransactAsync"/>, anything else as the sidecar's
/// <see cref="DaprException"/>.
/// </summary>
internal sealed class DaprState(DaprClient dapr, IOptions<DeployerOptions> options, TimeProvider? time = null)
{
    /// <summary>
    /// Every write is checked against the ETag it names (first-write), and without one only creates.
    /// Strong: a read sees the last write.
    /// </summary>
    private static readonly StateOptions Checked = new() { Concurrency = ConcurrencyMode.FirstWrite, Consistency = ConsistencyMode.Strong };

    public string Store => options.Value.Dapr.StateStore;

    public async Task<(T? Value, string? ETag)> GetAsync<T>(string key, CancellationToken cancellationToken)
    {
        var (value, etag) = await OrUnavailable(() => dapr.GetStateAndETagAsync<T?>(Store, key, ConsistencyMode.Strong, cancellationToken: cancellationToken));
        return (value, string.IsNullOrEmpty(etag) ? null : etag);
    }

    /// <summary>The values of <paramref name="keys"/> that exist, with their ETags, in the order asked.</summary>
    public async Task<IReadOnlyList<(string Key, T Value, string ETag)>> GetManyAsync<T>(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return [];
        }

        var items = await OrUnavailable(() => dapr.GetBulkStateAsync<T?>(Store, keys, parallelism: null, cancellationToken: cancellationToken));
        var byKey = items.Where(item => item.Value is not null).ToDictionary(item => item.Key, StringComparer.Ordinal);
        return [.. keys.Where(byKey.ContainsKey).Select(key => (key, byKey[key].Value!, byKey[key].ETag))];
    }

    /// <summary>Serialized with DaprClient's own JSON settings, so a value written in a transaction reads back like a saved one.</summary>
    public StateTransactionRequest Upsert<T>(string key, T value, string? etag) =>
        new(key, JsonSerializer.SerializeToUtf8Bytes(value, dapr.JsonSerializerOptions), StateOperationType.Upsert, etag, options: Checked);

    public static StateTransactionRequest Delete(string key, string etag) =>
        new(key, null, StateOperationType.Delete, etag, options: Checked);

    /// <summary>
    /// Applies every operation or none: false when one's ETag no longer holds (another writer came
    /// first), which the callers answer by reading again.
    /// </summary>
    public async Task<bool> TryTransactAsync(IReadOnlyList<StateTransactionRequest> operations, CancellationToken cancellationToken)
    {
        try
        {
            await OrUnavailable(async () =>
            {
                await dapr.ExecuteStateTransactionAsync(Store, operations, cancellationToken: cancellationToken);
                return true;
            });
            return true;
        }
        catch (DaprException ex) when (DaprStateErrors.IsConflict(ex))
        {
            return false;
        }
    }

    /// <summary>The retry budget of one write that may lose races.</summary>
    public ConflictRetries Retries(string what) => new(time ?? TimeProvider.System, what);

    private async Task<T> OrUnavailable<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (DaprException ex) when (DaprStateErrors.IsOutage(ex))
        {
            throw DaprStateErrors.Unavailable(Store, ex);
        }
    }
}
