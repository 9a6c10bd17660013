using Microsoft.Data.Sqlite;
using ModelPlatform.Contracts;

using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>The deployer killed or stopped and started again over the same data.</summary>
public sealed class RestartTests : IAsyncLifetime
{
    private readonly DeployerFixture _deployer = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _deployer.InitializeAsync();

    public ValueTask DisposeAsync() => _deployer.DisposeAsync();

    [Fact]
    public async Task A_killed_deployer_adopts_the_running_replicas_instead_of_doubling_them()
    {
        (await _deployer.CreateAsync("adopt", _deployer.ModelVariant(replicas: 2), cancellationToken: Ct)).Dispose();
        var before = await _deployer.WaitForReadyAsync("adopt", Ct);
        var pids = _deployer.Replicas("adopt").Order().ToList();

        await _deployer.KillAsync();
        Assert.Equal(pids, _deployer.Replicas("adopt").Order());
        await _deployer.StartAsync();
        var after = await _deployer.WaitForReadyAsync("adopt", Ct);

        Assert.Equal(pids, _deployer.Replicas("adopt").Order());
        Assert.Equal(before.Status.Variants[VariantNames.Stable].Endpoints.Order(), after.Status.Variants[VariantNames.Stable].Endpoints.Order());
        Assert.Equal(2, (await _deployer.RoutesAsync(Ct)).Models.Single().Variants.Single().Endpoints.Count);
    }

    [Fact]
    public async Task A_replica_started_but_never_registered_by_a_crashed_deployer_is_stopped_at_the_next_start()
    {
        (await _deployer.CreateAsync("stray", cancellationToken: Ct)).Dispose();
        await _deployer.WaitForReadyAsync("stray", Ct);
        var stray = Assert.Single(_deployer.Replicas("stray"));

        // The crash came between starting the replica and registering it.
        await _deployer.KillAsync();
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(_deployer.DataDirectory, "deployer.db")};Pooling=False"))
        {
            await connection.OpenAsync(Ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM replicas";
            await command.ExecuteNonQueryAsync(Ct);
        }

        await _deployer.StartAsync();
        await _deployer.WaitForReadyAsync("stray", Ct);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (ReplicaProcesses.IsAlive(stray) && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50, Ct);
        }

        Assert.False(ReplicaProcesses.IsAlive(stray), "the unregistered replica still runs");
        Assert.NotEqual(stray, Assert.Single(_deployer.Replicas("stray")));
    }

    [Fact]
    public async Task A_deployer_killed_mid_deploy_resumes_to_the_same_end_with_no_duplicate_replica()
    {
        await _deployer.StopAsync();
        // Dies right after starting the replicas, before the journal records it: the worst moment.
        await _deployer.StartCrashingAfterAsync("ProvisionVariantActivity");
        var response = await _deployer.CreateAsync("resume", _deployer.ModelVariant(replicas: 2), cancellationToken: Ct);
        response.Dispose();
        await _deployer.Process.WaitForExitAsync(TimeSpan.FromSeconds(30));

        await _deployer.StartAsync();
        var ready = await _deployer.WaitForReadyAsync("resume", Ct);

        Assert.Equal(2, ready.Status.Variants[VariantNames.Stable].ReadyReplicas);
        await Task.Delay(500, Ct);
        Assert.Equal(2, _deployer.Replicas("resume").Count);
    }

    [Fact]
    public async Task A_graceful_stop_leaves_no_replica_behind_and_a_restart_brings_them_back()
    {
        (await _deployer.CreateAsync("stopped", cancellationToken: Ct)).Dispose();
        await _deployer.WaitForReadyAsync("stopped", Ct);

        Assert.Equal(0, await _deployer.StopAsync());
        Assert.Empty(_deployer.Replicas("stopped"));

        await _deployer.StartAsync();
        var ready = await _deployer.WaitForReadyAsync("stopped", Ct);
        Assert.Single(_deployer.Replicas("stopped"));
        Assert.Single(ready.Status.Variants[VariantNames.Stable].Endpoints);
    }
}
