using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.State;
using ModelPlatform.Deployer.State.Dapr;

namespace ModelPlatform.Deployer.Tests.Dapr;

/// <summary>The Dapr state store adapter against a fake sidecar speaking the Dapr gRPC API.</summary>
public sealed class DaprDeploymentStoreTests : IAsyncLifetime
{
    private FakeDaprSidecar _sidecar = null!;

    private DaprDeploymentStore Store => new(_sidecar.State());

    public async ValueTask InitializeAsync() => _sidecar = await FakeDaprSidecar.StartAsync();

    public async ValueTask DisposeAsync() => await _sidecar.DisposeAsync();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_then_get_returns_the_record_with_the_stores_etag_under_the_configured_store()
    {
        var created = await Store.CreateAsync(Record("resnet", "img:1"), Token);

        var read = await Store.GetAsync("resnet", Token);
        Assert.NotNull(read);
        Assert.Equal("img:1", read.Record.Stable.Image);
        Assert.Equal(created.ETag, read.ETag);
        Assert.Contains(DaprDeploymentStore.KeyOf("resnet"), _sidecar.Store.Keys);
        Assert.Null(await Store.GetAsync("missing", Token));
    }

    [Fact]
    public async Task Creating_a_taken_name_is_a_concurrency_conflict_and_keeps_the_first()
    {
        await Store.CreateAsync(Record("resnet", "img:1"), Token);

        await Assert.ThrowsAsync<ConcurrencyException>(() => Store.CreateAsync(Record("resnet", "img:2"), Token));
        Assert.Equal("img:1", (await Store.GetAsync("resnet", Token))!.Record.Stable.Image);
    }

    [Fact]
    public async Task Update_with_the_read_etag_succeeds_and_a_stale_etag_is_refused()
    {
        var created = await Store.CreateAsync(Record("resnet", "img:1"), Token);

        var updated = await Store.UpdateAsync(created.Record with { Generation = 2 }, created.ETag, Token);
        Assert.NotEqual(created.ETag, updated.ETag);
        Assert.Equal(2, updated.Record.Generation);

        await Assert.ThrowsAsync<ConcurrencyException>(() => Store.UpdateAsync(created.Record with { Generation = 3 }, created.ETag, Token));
        Assert.Equal(2, (await Store.GetAsync("resnet", Token))!.Record.Generation);
    }

    [Fact]
    public async Task Update_of_a_deleted_deployment_is_refused_and_does_not_bring_it_back()
    {
        var created = await Store.CreateAsync(Record("resnet", "img:1"), Token);
        await Store.DeleteAsync("resnet", created.ETag, Token);

        await Assert.ThrowsAsync<ConcurrencyException>(() => Store.UpdateAsync(created.Record, created.ETag, Token));
        Assert.Null(await Store.GetAsync("resnet", Token));
    }

    [Fact]
    public async Task Delete_with_a_stale_etag_is_refused_and_with_the_current_one_removes_it_from_the_list()
    {
        var created = await Store.CreateAsync(Record("resnet", "img:1"), Token);
        var updated = await Store.UpdateAsync(created.Record with { Generation = 2 }, created.ETag, Token);

        await Assert.ThrowsAsync<ConcurrencyException>(() => Store.DeleteAsync("resnet", created.ETag, Token));
        Assert.Single(await Store.ListAsync(Token));

        await Store.DeleteAsync("resnet", updated.ETag, Token);
        Assert.Null(await Store.GetAsync("resnet", Token));
        Assert.Empty(await Store.ListAsync(Token));
    }

    [Fact]
    public async Task List_returns_every_deployment_in_name_order_with_etags()
    {
        foreach (var name in new[] { "charlie", "alpha", "bravo" })
        {
            await Store.CreateAsync(Record(name, "img:1"), Token);
        }

        var listed = await Store.ListAsync(Token);

        Assert.Equal(["alpha", "bravo", "charlie"], listed.Select(stored => stored.Record.Name));
        foreach (var stored in listed)
        {
            Assert.Equal((await Store.GetAsync(stored.Record.Name, Token))!.ETag, stored.ETag);
        }
    }

    [Fact]
    public async Task A_create_that_loses_the_index_race_to_another_name_retries_and_both_are_listed()
    {
        var store = Store;
        _sidecar.Store.SlipInOnce(DaprDeploymentStore.IndexKey, () => store.CreateAsync(Record("bravo", "img:1"), Token));

        await store.CreateAsync(Record("alpha", "img:1"), Token);

        Assert.True(_sidecar.Store.Conflicts >= 1, "the first transaction should have been refused");
        Assert.Equal(["alpha", "bravo"], (await store.ListAsync(Token)).Select(stored => stored.Record.Name));
    }

    [Fact]
    public async Task Of_two_creates_of_one_name_racing_exactly_one_wins()
    {
        var store = Store;
        _sidecar.Store.SlipInOnce(DaprDeploymentStore.IndexKey, () => store.CreateAsync(Record("resnet", "img:winner"), Token));

        await Assert.ThrowsAsync<ConcurrencyException>(() => store.CreateAsync(Record("resnet", "img:loser"), Token));

        Assert.Equal("img:winner", (await store.GetAsync("resnet", Token))!.Record.Stable.Image);
        Assert.Single(await store.ListAsync(Token));
    }

    [Fact]
    public async Task A_delete_that_loses_the_index_race_to_a_create_retries_and_keeps_the_other()
    {
        var store = Store;
        var alpha = await store.CreateAsync(Record("alpha", "img:1"), Token);
        _sidecar.Store.SlipInOnce(DaprDeploymentStore.IndexKey, () => store.CreateAsync(Record("bravo", "img:1"), Token));

        await store.DeleteAsync("alpha", alpha.ETag, Token);

        Assert.Equal(["bravo"], (await store.ListAsync(Token)).Select(stored => stored.Record.Name));
        Assert.Null(await store.GetAsync("alpha", Token));
    }

    [Fact]
    public async Task A_delete_racing_an_update_of_the_same_deployment_is_a_conflict()
    {
        var store = Store;
        var created = await store.CreateAsync(Record("resnet", "img:1"), Token);
        _sidecar.Store.SlipInOnce(DaprDeploymentStore.KeyOf("resnet"), () => store.UpdateAsync(created.Record with { Generation = 2 }, created.ETag, Token));

        await Assert.ThrowsAsync<ConcurrencyException>(() => store.DeleteAsync("resnet", created.ETag, Token));

        Assert.Equal(2, (await store.GetAsync("resnet", Token))!.Record.Generation);
        Assert.Single(await store.ListAsync(Token));
    }

    [Fact]
    public async Task Route_versions_advance_by_one_and_parallel_callers_never_get_the_same_one()
    {
        Assert.Equal(1, await Store.NextRouteVersionAsync(Token));
        Assert.Equal(2, await Store.NextRouteVersionAsync(Token));

        var versions = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(() => Store.NextRouteVersionAsync(Token), Token)));

        Assert.Equal(Enumerable.Range(3, 12).Select(v => (long)v), versions.Order());
        Assert.Equal("14", _sidecar.Store.Read(DaprDeploymentStore.RouteVersionKey));
    }

    [Fact]
    public async Task A_route_version_raced_by_another_writer_is_retried_from_the_new_value()
    {
        var store = Store;
        await store.NextRouteVersionAsync(Token);
        _sidecar.Store.SlipInOnce(DaprDeploymentStore.RouteVersionKey, () => store.NextRouteVersionAsync(Token));

        Assert.Equal(3, await store.NextRouteVersionAsync(Token));
        Assert.True(_sidecar.Store.Conflicts >= 1);
    }

    [Fact]
    public async Task A_store_name_the_sidecar_does_not_know_is_the_store_being_unavailable()
    {
        var store = new DaprDeploymentStore(_sidecar.State("other"));

        var refused = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ListAsync(Token));
        Assert.Contains("state store other is not found", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sidecar_that_is_down_is_an_outage_not_a_conflict()
    {
        var store = Store;
        var created = await store.CreateAsync(Record("resnet", "img:1"), Token);
        _sidecar.Store.Outage = new Grpc.Core.Status(Grpc.Core.StatusCode.Unavailable, "connection refused");

        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.UpdateAsync(created.Record with { Generation = 2 }, created.ETag, Token));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.NextRouteVersionAsync(Token));
    }

    [Fact]
    public async Task A_write_refused_for_another_reason_than_a_lost_race_is_not_retried()
    {
        var store = Store;
        var created = await store.CreateAsync(Record("resnet", "img:1"), Token);
        var before = _sidecar.Store.TransactionAttempts;
        // How daprd answers any failed transaction: Internal, with the component's words.
        _sidecar.Store.TransactionFailure = new Grpc.Core.Status(Grpc.Core.StatusCode.Internal, "error while executing state transaction: value too long for type bytea");

        await Assert.ThrowsAsync<global::Dapr.DaprException>(() => store.UpdateAsync(created.Record with { Generation = 2 }, created.ETag, Token));
        Assert.Equal(before + 1, _sidecar.Store.TransactionAttempts);
        await Assert.ThrowsAsync<global::Dapr.DaprException>(() => store.NextRouteVersionAsync(Token));
        Assert.Equal(before + 2, _sidecar.Store.TransactionAttempts);
    }

    [Fact]
    public async Task Lost_races_stop_at_the_time_budget_before_the_attempt_budget()
    {
        var clock = new ManualClock();
        var store = new DaprDeploymentStore(_sidecar.State(time: clock));
        await store.NextRouteVersionAsync(Token);
        // Every attempt is beaten by another writer, and each race takes a few seconds.
        _sidecar.Store.BeforeWrite = key =>
        {
            _sidecar.Store.Touch(key);
            clock.Advance(TimeSpan.FromSeconds(4));
        };

        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.NextRouteVersionAsync(Token));
        Assert.Equal(3, _sidecar.Store.Conflicts);
    }

    /// <summary>A clock the test moves.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = DateTimeOffset.UnixEpoch.Ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    private static DeploymentRecord Record(string name, string image) => new()
    {
        Name = name,
        Uid = Guid.NewGuid().ToString("N"),
        Stable = new VariantSpec { Image = image, Replicas = 1 },
        CreatedAt = DateTimeOffset.UnixEpoch,
    };
}
