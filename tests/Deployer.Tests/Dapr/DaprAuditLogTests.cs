using System.Globalization;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.State;
using ModelPlatform.Deployer.State.Dapr;

namespace ModelPlatform.Deployer.Tests.Dapr;

/// <summary>
/// The audit log's contract on a Dapr state store (a fake sidecar whose transactions apply whole),
/// and what is Dapr's own: the id sequence under contention, retries that keep one entry per change,
/// and pages that stop their walk early.
/// </summary>
public sealed class DaprAuditLogTests : AuditLogContract
{
    private const int ScanLimit = 40;
    private FakeDaprSidecar _sidecar = null!;

    public override async ValueTask DisposeAsync() => await _sidecar.DisposeAsync();

    private protected override async ValueTask<(IDeploymentStore Store, IAuditLog Audit)> OpenAsync()
    {
        _sidecar = await FakeDaprSidecar.StartAsync();
        var store = new DaprDeploymentStore(_sidecar.State());
        return (store, new DaprAuditLog(_sidecar.State(), store, TimeProvider.System, ScanLimit));
    }

    [Fact]
    public async Task Parallel_changes_of_different_deployments_get_one_entry_each_with_distinct_growing_ids()
    {
        var created = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => CreateAsync($"par-{i}"), Ct)));
        await Task.WhenAll(created.Select(stored => Task.Run(
            async () =>
            {
                var next = stored.Record with { Stable = stored.Record.Stable with { Replicas = 2 }, Generation = 2 };
                await Audit.UpdateAsync(next, stored.ETag, Draft(AuditActions.Update, stored.Record, next), Ct);
            },
            Ct)));

        var entries = (await Audit.QueryAsync(new AuditQuery(Limit: 100), Ct)).Items;
        Assert.Equal(16, entries.Count);
        Assert.Equal(Enumerable.Range(1, 16).Reverse().Select(id => (long)id), entries.Select(entry => entry.Id));
        Assert.All(created, stored => Assert.Equal(2, entries.Count(entry => entry.Deployment == stored.Record.Name)));
        Assert.Equal("16", _sidecar.Store.Read(DaprAuditLog.SequenceKey));
    }

    [Fact]
    public async Task A_change_whose_entry_loses_the_sequence_race_is_retried_and_written_once()
    {
        var created = await CreateAsync("raced");
        var next = created.Record with { Stable = created.Record.Stable with { Replicas = 2 }, Generation = 2 };
        _sidecar.Store.SlipInOnce(DaprAuditLog.SequenceKey, () => CreateAsync("other"));

        await Audit.UpdateAsync(next, created.ETag, Draft(AuditActions.Update, created.Record, next), Ct);

        Assert.True(_sidecar.Store.Conflicts >= 1, "the first transaction should have been refused");
        var entries = (await Audit.QueryAsync(new AuditQuery(), Ct)).Items;
        Assert.Equal([(3L, "raced", AuditActions.Update), (2L, "other", AuditActions.Create), (1L, "raced", AuditActions.Create)], entries.Select(entry => (entry.Id, entry.Deployment, entry.Action)));
        Assert.Equal(2, (await Store.GetAsync("raced", Ct))!.Record.Generation);
    }

    [Fact]
    public async Task A_refused_change_leaves_no_entry_key_and_no_pending_mark()
    {
        var created = await CreateAsync("refused");
        var next = created.Record with { Generation = 2 };
        await Audit.UpdateAsync(next, created.ETag, Draft(AuditActions.Update, created.Record, next), Ct);
        var keys = _sidecar.Store.Keys.Order(StringComparer.Ordinal).ToList();

        await Assert.ThrowsAsync<ConcurrencyException>(() => Audit.UpdateAsync(next with { Generation = 3 }, created.ETag, Draft(AuditActions.Update, next, next with { Generation = 3 }), Ct));

        Assert.Equal(keys, _sidecar.Store.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("2", _sidecar.Store.Read(DaprAuditLog.SequenceKey));
    }

    [Fact]
    public async Task Settling_removes_the_pending_mark_so_a_deployment_that_ends_leaves_no_index_behind()
    {
        var created = await CreateAsync("settled");

        await Audit.SettleAsync(created.Record.Uid, 1, new AuditOutcome(AuditOutcomes.Succeeded), Ct);

        Assert.DoesNotContain(DaprAuditLog.PendingKey(created.Record.Uid), _sidecar.Store.Keys);
        Assert.Equal(AuditOutcomes.Succeeded, (await Audit.QueryAsync(new AuditQuery(), Ct)).Items.Single().Outcome.Status);
    }

    [Fact]
    public async Task A_filter_that_matches_little_walks_in_bounded_pages_whose_cursors_reach_every_match()
    {
        await CreateAsync("needle-old");
        for (var i = 0; i < ScanLimit + 10; i++)
        {
            await CreateAsync($"hay-{i}");
        }

        await CreateAsync("needle-new");

        var found = new List<string>();
        var pages = 0;
        long? after = null;
        do
        {
            var page = await Audit.QueryAsync(new AuditQuery(Action: AuditActions.Create, Limit: 500, After: after), Ct);
            pages++;
            found.AddRange(page.Items.Select(entry => entry.Deployment).Where(name => name.StartsWith("needle", StringComparison.Ordinal)));
            after = page.Next is null ? null : long.Parse(page.Next, CultureInfo.InvariantCulture);
        }
        while (after is not null);

        Assert.Equal(["needle-new", "needle-old"], found);
        Assert.Equal(2, pages);

        var first = await Audit.QueryAsync(new AuditQuery(Deployment: "needle-old"), Ct);
        Assert.Empty(first.Items);
        Assert.NotNull(first.Next);
        var second = await Audit.QueryAsync(new AuditQuery(Deployment: "needle-old", After: long.Parse(first.Next, CultureInfo.InvariantCulture)), Ct);
        Assert.Equal(["needle-old"], second.Items.Select(entry => entry.Deployment));
        Assert.Null(second.Next);
    }
}
