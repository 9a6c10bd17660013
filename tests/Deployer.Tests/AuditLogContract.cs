using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.State;
using ModelPlatform.Deployer.Workflows;
using ModelPlatform.Deployer.Workflows.Activities;

namespace ModelPlatform.Deployer.Tests;

/// <summary>
/// What every audit log promises, run against each implementation: entries commit with their change
/// or not at all, outcomes settle once, the quota holds under races, pages follow their cursor.
/// </summary>
public abstract class AuditLogContract : IAsyncLifetime
{
    private IDeploymentStore _store = null!;
    private IAuditLog _audit = null!;

    private protected IDeploymentStore Store => _store;

    private protected IAuditLog Audit => _audit;

    private protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => (_store, _audit) = await OpenAsync();

    public abstract ValueTask DisposeAsync();

    private protected abstract ValueTask<(IDeploymentStore Store, IAuditLog Audit)> OpenAsync();

    [Fact]
    public async Task A_change_refused_by_its_etag_stores_no_entry()
    {
        var created = await CreateAsync("etag");
        var changed = created.Record with { CanaryWeight = 0, Stable = created.Record.Stable with { Replicas = 2 }, Generation = 2 };
        await _audit.UpdateAsync(changed, created.ETag, Draft(AuditActions.Update, created.Record, changed), Ct);
        var stale = changed with { Stable = changed.Stable with { Replicas = 3 }, Generation = 3 };

        await Assert.ThrowsAsync<ConcurrencyException>(() => _audit.UpdateAsync(stale, created.ETag, Draft(AuditActions.Update, changed, stale), Ct));

        var page = await _audit.QueryAsync(new AuditQuery(Deployment: "etag"), Ct);
        Assert.Equal([AuditActions.Update, AuditActions.Create], page.Items.Select(entry => entry.Action));
        Assert.Equal(2, (await _store.GetAsync("etag", Ct))!.Record.Generation);
    }

    [Fact]
    public async Task Settling_a_revision_supersedes_the_older_pending_ones_and_never_changes_a_settled_one()
    {
        var created = await CreateAsync("settle");
        var record = created.Record;
        var etag = created.ETag;
        foreach (var generation in new long[] { 2, 3, 4 })
        {
            var next = record with { Stable = record.Stable with { Replicas = (int)generation }, Generation = generation };
            etag = (await _audit.UpdateAsync(next, etag, Draft(AuditActions.Update, record, next), Ct)).ETag;
            record = next;
        }

        await _audit.SettleAsync(record.Uid, 1, new AuditOutcome(AuditOutcomes.Succeeded), Ct);
        await _audit.SettleAsync(record.Uid, 3, new AuditOutcome(AuditOutcomes.Failed, "broken"), Ct);
        await _audit.SettleAsync(record.Uid, 3, new AuditOutcome(AuditOutcomes.Succeeded), Ct);

        var outcomes = (await _audit.QueryAsync(new AuditQuery(Deployment: "settle"), Ct)).Items.ToDictionary(entry => entry.Revision, entry => entry.Outcome);
        Assert.Equal(AuditOutcomes.Pending, outcomes[4].Status);
        Assert.Equal((AuditOutcomes.Failed, "broken"), (outcomes[3].Status, outcomes[3].Reason));
        Assert.Equal((AuditOutcomes.Superseded, "Revision 3 replaced it before it finished."), (outcomes[2].Status, outcomes[2].Reason));
        Assert.Equal(AuditOutcomes.Succeeded, outcomes[1].Status);
        Assert.NotNull(outcomes[3].Time);
    }

    [Fact]
    public async Task An_outcome_recorded_after_a_newer_revision_was_accepted_is_superseded()
    {
        var created = await CreateAsync("overtaken");
        var first = created.Record;
        var second = first with { Stable = first.Stable with { Replicas = 2 }, Generation = 2 };
        await _audit.UpdateAsync(second, created.ETag, Draft(AuditActions.Update, first, second), Ct);
        var activity = new RecordOutcomeActivity(_store, _audit, TimeProvider.System);

        await activity.RunAsync(null!, new OutcomeInput("overtaken", 1, true, null, first.Uid));
        await activity.RunAsync(null!, new OutcomeInput("overtaken", 2, false, "stable variant not ready: exited with code 3", first.Uid));

        var outcomes = (await _audit.QueryAsync(new AuditQuery(Deployment: "overtaken"), Ct)).Items.ToDictionary(entry => entry.Revision, entry => entry.Outcome);
        Assert.Equal((AuditOutcomes.Superseded, "Revision 2 replaced it before it finished."), (outcomes[1].Status, outcomes[1].Reason));
        Assert.Equal((AuditOutcomes.Failed, "stable variant not ready: exited with code 3"), (outcomes[2].Status, outcomes[2].Reason));
    }

    [Fact]
    public async Task Parallel_creates_never_exceed_the_quota_and_a_taken_name_is_a_conflict_not_a_quota_refusal()
    {
        var attempts = Enumerable.Range(0, 12).Select(async i =>
        {
            try
            {
                await CreateAsync($"race-{i}", maxDeployments: 5);
                return "created";
            }
            catch (QuotaExceededException exceeded)
            {
                Assert.Equal((5, 5), (exceeded.Limit, exceeded.Used));
                return "quota";
            }
        });
        var outcomes = await Task.WhenAll(attempts);

        Assert.Equal(5, outcomes.Count(outcome => outcome == "created"));
        Assert.Equal(5, (await _store.ListAsync(Ct)).Count);
        Assert.Equal(5, (await _audit.QueryAsync(new AuditQuery(), Ct)).Items.Count);
        var taken = (await _store.ListAsync(Ct))[0].Record.Name;
        await Assert.ThrowsAsync<ConcurrencyException>(() => CreateAsync(taken, maxDeployments: 5));
    }

    [Fact]
    public async Task Pages_are_newest_first_and_follow_the_cursor_to_the_end()
    {
        for (var i = 0; i < 5; i++)
        {
            await CreateAsync($"page-{i}");
        }

        var first = await _audit.QueryAsync(new AuditQuery(Limit: 2), Ct);
        var second = await _audit.QueryAsync(new AuditQuery(Limit: 2, After: long.Parse(first.Next!, System.Globalization.CultureInfo.InvariantCulture)), Ct);
        var third = await _audit.QueryAsync(new AuditQuery(Limit: 2, After: long.Parse(second.Next!, System.Globalization.CultureInfo.InvariantCulture)), Ct);

        Assert.Equal(["page-4", "page-3", "page-2", "page-1", "page-0"], first.Items.Concat(second.Items).Concat(third.Items).Select(entry => entry.Deployment));
        Assert.Null(third.Next);
    }

    private protected async Task<StoredDeployment> CreateAsync(string name, int maxDeployments = 100)
    {
        var record = new DeploymentRecord
        {
            Name = name,
            Uid = Guid.NewGuid().ToString("N"),
            Stable = new VariantSpec { Model = new ModelSource { Format = "onnx", Uri = "/models/a.onnx" } },
            CreatedAt = DateTimeOffset.UtcNow,
        };
        return await _audit.CreateAsync(record, Draft(AuditActions.Create, null, record), maxDeployments, Ct);
    }

    private protected static AuditDraft Draft(string action, DeploymentRecord? before, DeploymentRecord after) =>
        AuditDraft.For(action, AuditActor.Anonymous, DateTimeOffset.UtcNow, before, after);
}
