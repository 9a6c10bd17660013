using Dapr.Client;
using ModelPlatform.Deployer.Domain;

namespace ModelPlatform.Deployer.State.Dapr;

/// <summary>
/// Deployments in a Dapr state store, one key each, with the store's ETags as the ETags of the
/// <see cref="IDeploymentStore"/> contract: a write that names a stale ETag is refused by the store
/// and surfaces as <see cref="ConcurrencyException"/>, exactly like the SQLite store's.
/// </summary>
/// <remarks>
/// Why an index key: the Dapr state API has no portable "list keys" (the query API is alpha and
/// missing from most stores), so the names live in one key, <see cref="IndexKey"/>. A create or
/// delete changes the record and the index together in one transaction, with the index's ETag in
/// it, so two writers that read the same index cannot both win, and a crash between the two writes
/// cannot leave a deployment that is stored but not listed. A lost race on the index is retried
/// from a fresh read; a lost race on the record itself is the caller's <see cref="ConcurrencyException"/>.
/// The route-table version is a counter key advanced by compare-and-swap.
/// </remarks>
internal sealed class DaprDeploymentStore(DaprState state) : IDeploymentStore
{
    public const string IndexKey = "deployments";
    public const string RouteVersionKey = "route-version";

    private static readonly Func<CancellationToken, Task<IReadOnlyList<StateTransactionRequest>>> NothingAlongside =
        _ => Task.FromResult<IReadOnlyList<StateTransactionRequest>>([]);

    /// <summary>The state key of a deployment; names are DNS-1035 labels, so they never contain the slash.</summary>
    public static string KeyOf(string name) => $"deployment/{name}";

    public async Task<StoredDeployment?> GetAsync(string name, CancellationToken cancellationToken)
    {
        var (record, etag) = await state.GetAsync<DeploymentRecord>(KeyOf(name), cancellationToken);
        return record is null || etag is null ? null : new StoredDeployment(record, etag);
    }

    public async Task<IReadOnlyList<StoredDeployment>> ListAsync(CancellationToken cancellationToken)
    {
        var (names, _) = await ReadIndexAsync(cancellationToken);
        var items = await state.GetManyAsync<DeploymentRecord>([.. names.Select(KeyOf)], cancellationToken);
        return [.. items.Select(item => new StoredDeployment(item.Value, item.ETag)).OrderBy(stored => stored.Record.Name, StringComparer.Ordinal)];
    }

    public Task<StoredDeployment> CreateAsync(DeploymentRecord record, CancellationToken cancellationToken) =>
        CreateAsync(record, int.MaxValue, NothingAlongside, cancellationToken);

    /// <summary>
    /// Creates the record and adds it to the index in one transaction, with the operations
    /// <paramref name="alongside"/> adds (read afresh on every attempt); refuses a taken name, and a
    /// new one when <paramref name="maxDeployments"/> exist already.
    /// </summary>
    public async Task<StoredDeployment> CreateAsync(
        DeploymentRecord record,
        int maxDeployments,
        Func<CancellationToken, Task<IReadOnlyList<StateTransactionRequest>>> alongside,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(alongside);
        var retries = state.Retries($"deployment '{record.Name}'");
        while (true)
        {
            var (names, indexETag) = await ReadIndexAsync(cancellationToken);
            if (names.Contains(record.Name, StringComparer.Ordinal))
            {
                throw new ConcurrencyException($"Deployment '{record.Name}' already exists.");
            }

            if (names.Count >= maxDeployments)
            {
                throw new QuotaExceededException(maxDeployments, names.Count);
            }

            if (!await state.TryTransactAsync(
                [
                    state.Upsert(KeyOf(record.Name), record, etag: null),
                    state.Upsert(IndexKey, names.Append(record.Name).Order(StringComparer.Ordinal).ToArray(), indexETag),
                    .. await alongside(cancellationToken),
                ],
                cancellationToken))
            {
                // Another writer moved the index (or a key written alongside): read again and retry;
                // a name taken meanwhile is found by the check above.
                retries.Lost();
                continue;
            }

            return await GetAsync(record.Name, cancellationToken)
                ?? throw new ConcurrencyException($"Deployment '{record.Name}' was deleted right after it was created.");
        }
    }

    public Task<StoredDeployment> UpdateAsync(DeploymentRecord record, string etag, CancellationToken cancellationToken) =>
        UpdateAsync(record, etag, NothingAlongside, cancellationToken);

    /// <summary>
    /// Writes the record if it still has <paramref name="etag"/>, with the operations
    /// <paramref name="alongside"/> adds (read afresh on every attempt) in the same transaction.
    /// </summary>
    public async Task<StoredDeployment> UpdateAsync(
        DeploymentRecord record,
        string etag,
        Func<CancellationToken, Task<IReadOnlyList<StateTransactionRequest>>> alongside,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(alongside);
        var retries = state.Retries($"deployment '{record.Name}'");
        while (!await state.TryTransactAsync([state.Upsert(KeyOf(record.Name), record, etag), .. await alongside(cancellationToken)], cancellationToken))
        {
            await ThrowIfChangedAsync(record.Name, etag, cancellationToken);
            retries.Lost();
        }

        return await ReadBackAsync(record.Name, cancellationToken);
    }

    public async Task DeleteAsync(string name, string etag, CancellationToken cancellationToken)
    {
        var retries = state.Retries($"deployment '{name}'");
        while (true)
        {
            var (names, indexETag) = await ReadIndexAsync(cancellationToken);
            if (await state.TryTransactAsync(
                [DaprState.Delete(KeyOf(name), etag), state.Upsert(IndexKey, names.Where(other => other != name).ToArray(), indexETag)],
                cancellationToken))
            {
                return;
            }

            await ThrowIfChangedAsync(name, etag, cancellationToken);
            retries.Lost();
        }
    }

    public async Task<long> NextRouteVersionAsync(CancellationToken cancellationToken)
    {
        var retries = state.Retries("the route-table version");
        while (true)
        {
            var (current, etag) = await state.GetAsync<long?>(RouteVersionKey, cancellationToken);
            var next = (current ?? 0) + 1;
            if (await state.TryTransactAsync([state.Upsert(RouteVersionKey, next, etag)], cancellationToken))
            {
                return next;
            }

            // Another deployer advanced it first: go on from its value.
            retries.Lost();
        }
    }

    /// <summary>The names of all deployments, and the index's ETag (null while it does not exist).</summary>
    public async Task<(IReadOnlyList<string> Names, string? ETag)> ReadIndexAsync(CancellationToken cancellationToken)
    {
        var (names, etag) = await state.GetAsync<string[]>(IndexKey, cancellationToken);
        return (names ?? [], etag);
    }

    private async Task ThrowIfChangedAsync(string name, string etag, CancellationToken cancellationToken)
    {
        if (await GetAsync(name, cancellationToken) is not { } current || current.ETag != etag)
        {
            throw new ConcurrencyException($"Deployment '{name}' changed since ETag {etag} was read.");
        }
    }

    /// <summary>
    /// The state API does not answer a write with its new ETag: read it back. Should another writer
    /// have come in between, the pair read is still one record with its own ETag.
    /// </summary>
    private async Task<StoredDeployment> ReadBackAsync(string name, CancellationToken cancellationToken) =>
        await GetAsync(name, cancellationToken)
        ?? throw new ConcurrencyException($"Deployment '{name}' was deleted right after it was written.");
}
