using System.Globalization;
using Dapr.Client;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Domain;

namespace ModelPlatform.Deployer.State.Dapr;

/// <summary>
/// The audit trail in the Dapr state store, written in the same state transaction as the change it
/// records (the store must apply a transaction whole: see <c>Deployer:Dapr:AtomicStoreTypes</c>).
/// </summary>
/// <remarks>
/// Keys: <see cref="SequenceKey"/> holds the last id given out, advanced by compare-and-swap in the
/// change's transaction, so ids are unique and grow as in SQLite; <c>audit/entry/{id}</c> holds an
/// entry; <c>audit/pending/{uid}</c> lists a deployment's entries whose workflow has not ended, so
/// settling an outcome reads a few keys, not the whole trail. Queries walk ids downwards in bulk
/// reads of <see cref="BatchSize"/> and stop after <see cref="DefaultScanLimit"/> entries: a page can then
/// hold fewer entries than asked and still name a next cursor, which continues the walk.
/// </remarks>
internal sealed class DaprAuditLog(DaprState state, DaprDeploymentStore deployments, TimeProvider time, int scanLimit = DaprAuditLog.DefaultScanLimit) : IAuditLog
{
    public const string SequenceKey = "audit/sequence";
    public const int BatchSize = 100;
    public const int DefaultScanLimit = 1000;

    public static string EntryKey(long id) => $"audit/entry/{id.ToString(CultureInfo.InvariantCulture)}";

    public static string PendingKey(string deploymentUid) => $"audit/pending/{deploymentUid}";

    public Task<StoredDeployment> CreateAsync(DeploymentRecord record, AuditDraft entry, int maxDeployments, CancellationToken cancellationToken) =>
        deployments.CreateAsync(record, maxDeployments, token => AppendAsync(entry, token), cancellationToken);

    public Task<StoredDeployment> UpdateAsync(DeploymentRecord record, string etag, AuditDraft entry, CancellationToken cancellationToken) =>
        deployments.UpdateAsync(record, etag, token => AppendAsync(entry, token), cancellationToken);

    public async Task SettleAsync(string deploymentUid, long revision, AuditOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var settled = outcome.Time ?? time.GetUtcNow();
        var retries = state.Retries($"the audit outcome of revision {revision}");
        while (true)
        {
            var (pending, pendingETag) = await state.GetAsync<PendingEntry[]>(PendingKey(deploymentUid), cancellationToken);
            var ending = (pending ?? []).Where(item => item.Revision <= revision).ToList();
            if (ending.Count == 0 || pendingETag is null)
            {
                return;
            }

            var entries = await state.GetManyAsync<AuditEntry>([.. ending.Select(item => EntryKey(item.Id))], cancellationToken);
            var remaining = pending!.Where(item => item.Revision > revision).ToArray();
            List<StateTransactionRequest> operations =
            [
                .. entries.Select(item => state.Upsert(item.Key, item.Value with
                {
                    Outcome = item.Value.Revision == revision
                        ? outcome with { Time = settled }
                        : new AuditOutcome(AuditOutcomes.Superseded, $"Revision {revision} replaced it before it finished.", settled),
                }, item.ETag)),
                remaining.Length == 0 ? DaprState.Delete(PendingKey(deploymentUid), pendingETag) : state.Upsert(PendingKey(deploymentUid), remaining, pendingETag),
            ];
            if (await state.TryTransactAsync(operations, cancellationToken))
            {
                return;
            }

            // A change of the same deployment added to its pending list meanwhile: read it again.
            retries.Lost();
        }
    }

    public async Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var (last, _) = await state.GetAsync<long?>(SequenceKey, cancellationToken);
        var next = Math.Min(last ?? 0, (query.After ?? long.MaxValue) - 1);
        var items = new List<AuditEntry>();
        var scanned = 0;
        // One more than asked tells whether another page follows.
        while (next >= 1 && items.Count <= query.Limit && scanned < scanLimit)
        {
            var ids = Enumerable.Range(0, (int)Math.Min(Math.Min(BatchSize, scanLimit - scanned), next)).Select(offset => next - offset).ToList();
            var batch = await state.GetManyAsync<AuditEntry>([.. ids.Select(EntryKey)], cancellationToken);
            items.AddRange(batch.Select(item => item.Value).Where(entry => Matches(entry, query)));
            scanned += ids.Count;
            next -= ids.Count;
        }

        if (items.Count > query.Limit)
        {
            items.RemoveRange(query.Limit, items.Count - query.Limit);
            return new AuditPage(items, items[^1].Id.ToString(CultureInfo.InvariantCulture));
        }

        // The walk stopped at its limit before the oldest entry: the next page goes on below it.
        return new AuditPage(items, next >= 1 ? (next + 1).ToString(CultureInfo.InvariantCulture) : null);
    }

    /// <summary>The operations that append <paramref name="draft"/> under the next id, read afresh for each attempt.</summary>
    private async Task<IReadOnlyList<StateTransactionRequest>> AppendAsync(AuditDraft draft, CancellationToken cancellationToken)
    {
        var (last, sequenceETag) = await state.GetAsync<long?>(SequenceKey, cancellationToken);
        var (pending, pendingETag) = await state.GetAsync<PendingEntry[]>(PendingKey(draft.DeploymentUid), cancellationToken);
        var id = (last ?? 0) + 1;
        var entry = new AuditEntry(
            id, draft.Deployment, draft.Action, draft.Actor, draft.Time, draft.Revision, draft.Before, draft.After, draft.Settled is { } settled ? settled with { Time = settled.Time ?? draft.Time } : new AuditOutcome(AuditOutcomes.Pending));
        return draft.Settled is not null
            ? [state.Upsert(SequenceKey, id, sequenceETag), state.Upsert(EntryKey(id), entry, etag: null)]
            :
            [
                state.Upsert(SequenceKey, id, sequenceETag),
                state.Upsert(EntryKey(id), entry, etag: null),
                state.Upsert(PendingKey(draft.DeploymentUid), (pending ?? []).Append(new PendingEntry(id, draft.Revision)).ToArray(), pendingETag),
            ];
    }

    private static bool Matches(AuditEntry entry, AuditQuery query) =>
        (query.Deployment is null || entry.Deployment == query.Deployment)
        && (query.Actor is null || entry.Actor == query.Actor)
        && (query.Action is null || entry.Action == query.Action)
        && (query.Since is not { } since || entry.Time >= since);

    /// <summary>An entry whose workflow has not ended: its id and the revision it made.</summary>
    internal sealed record PendingEntry(long Id, long Revision);
}
