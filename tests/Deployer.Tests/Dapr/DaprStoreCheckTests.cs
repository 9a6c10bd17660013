using Dapr.Client;
using Dapr.Client.Autogen.Grpc.v1;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.State;
using ModelPlatform.Deployer.State.Dapr;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Dapr;

/// <summary>The Dapr runtime refuses to start on a state store it cannot trust with a change and its audit entry.</summary>
public sealed class DaprStoreCheckTests : IAsyncLifetime
{
    private FakeDaprSidecar _sidecar = null!;

    public async ValueTask InitializeAsync() => _sidecar = await FakeDaprSidecar.StartAsync();

    public async ValueTask DisposeAsync() => await _sidecar.DisposeAsync();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_transactional_database_store_with_etags_passes()
    {
        await Check(_sidecar.Client).StartAsync(Token);
    }

    [Fact]
    public async Task A_missing_component_is_refused_naming_the_setting_and_what_the_sidecar_has()
    {
        _sidecar.Components[0].Name = "statestore";

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => Check(_sidecar.Client).StartAsync(Token));

        Assert.Contains("Deployer:Dapr:StateStore is 'deployer-state'", error.Message, StringComparison.Ordinal);
        Assert.Contains("statestore (state.postgresql)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redis_store_is_refused_because_its_transactions_do_not_roll_back()
    {
        _sidecar.Components[0].Type = "state.redis";

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => Check(_sidecar.Client).StartAsync(Token));

        Assert.Contains("is a state.redis, whose transactions are not known to apply whole", error.Message, StringComparison.Ordinal);
        Assert.Contains("Deployer:Dapr:AtomicStoreTypes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_operator_can_vouch_for_another_store_type()
    {
        _sidecar.Components[0].Type = "state.mongodb";

        await Check(_sidecar.Client, new DaprRuntimeOptions { AtomicStoreTypes = ["state.mongodb"] }).StartAsync(Token);
    }

    [Fact]
    public async Task A_store_without_transactions_is_refused_naming_the_capability()
    {
        _sidecar.Components[0] = new RegisteredComponents { Name = FakeStateStore.Name, Type = "state.postgresql", Capabilities = { "ETAG" } };

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => Check(_sidecar.Client).StartAsync(Token));

        Assert.Contains("lacks TRANSACTIONAL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sidecar_that_never_answers_stops_the_start_after_the_wait()
    {
        var port = FreePort.Next();
        using var client = new DaprClientBuilder().UseGrpcEndpoint($"http://127.0.0.1:{port}").Build();

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => Check(client, new DaprRuntimeOptions { SidecarWaitTimeout = TimeSpan.FromSeconds(1) }).StartAsync(Token));

        Assert.Contains("did not answer within 1 s (Deployer:Dapr:SidecarWaitTimeout)", error.Message, StringComparison.Ordinal);
    }

    private static DaprStoreCheck Check(DaprClient client, DaprRuntimeOptions? dapr = null) =>
        new(client, Options.Create(new DeployerOptions { Dapr = dapr ?? new DaprRuntimeOptions() }), TimeProvider.System, NullLogger<DaprStoreCheck>.Instance);
}
