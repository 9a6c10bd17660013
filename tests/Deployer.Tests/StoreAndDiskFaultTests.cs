using System.Net;
using Microsoft.Data.Sqlite;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>
/// Faults below the API: a store locked by another writer or corrupted, a disk too full for replica
/// logs, a replica that never becomes ready. Each ends in a clear answer or condition, and the API
/// keeps answering.
/// </summary>
public sealed class StoreAndDiskFaultTests : IAsyncLifetime
{
    private readonly FaultFixture _deployer = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _deployer.InitializeAsync();

    public ValueTask DisposeAsync() => _deployer.DisposeAsync();

    [Fact]
    public async Task A_locked_store_answers_503_with_retry_after_while_reads_go_on_and_changes_nothing()
    {
        (await _deployer.CreateAsync("before", cancellationToken: Ct)).Dispose();
        await _deployer.WaitForReadyAsync("before", Ct);

        await using (var locker = new SqliteConnection($"Data Source={Path.Combine(_deployer.DataDirectory, "deployer.db")};Pooling=False"))
        {
            await locker.OpenAsync(Ct);
            await using var exclusive = locker.CreateCommand();
            exclusive.CommandText = "BEGIN EXCLUSIVE;";
            await exclusive.ExecuteNonQueryAsync(Ct);

            using var refused = await _deployer.CreateAsync("during", cancellationToken: Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
            var problem = await DeployerHarness.ProblemAsync(refused, Ct);
            Assert.Equal("The deployment store is unavailable.", problem["title"]!.GetValue<string>());
            Assert.Contains("locked", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

            // Readers are not blocked by a writer in WAL mode: the API keeps answering.
            Assert.Equal(DeploymentPhase.Ready, (await _deployer.GetAsync("before", Ct))!.Status.Phase);
        }

        Assert.Null(await _deployer.GetAsync("during", Ct));
        using var accepted = await _deployer.CreateAsync("during", cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await _deployer.WaitForReadyAsync("during", Ct);
    }

    [Fact]
    public async Task A_corrupt_store_stops_the_deployer_with_the_reason_and_leaves_the_file_as_it_was()
    {
        await _deployer.StopAsync();
        var database = Path.Combine(_deployer.DataDirectory, "deployer.db");
        File.Delete(database + "-wal");
        File.Delete(database + "-shm");
        var garbage = new byte[64 * 1024];
        new Random(7).NextBytes(garbage);
        await File.WriteAllBytesAsync(database, garbage, Ct);

        await using var refused = _deployer.Launch();
        var code = await refused.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(4, code);
        Assert.Contains($"The deployer's store {database} cannot be used: SQLite Error 26: 'file is not a database'.", refused.Output, StringComparison.Ordinal);
        Assert.Equal(garbage, await File.ReadAllBytesAsync(database, Ct));
    }

    [Fact]
    public async Task A_disk_too_full_for_replica_logs_fails_the_deployment_with_the_reason()
    {
        var spec = new VariantSpec { Model = new ModelSource { Format = "onnx", Uri = _deployer.AddMulModel }, Replicas = 1 };
        var logs = Directory.CreateDirectory(Path.Combine(_deployer.DataDirectory, "logs", Specs.ReplicaSetId("full", spec)));
        // /dev/full accepts the open and fails every write with ENOSPC, as a full disk does.
        File.CreateSymbolicLink(Path.Combine(logs.FullName, "replica-0.log"), "/dev/full");

        (await _deployer.CreateAsync("full", _deployer.ModelVariant(), cancellationToken: Ct)).Dispose();
        var failed = await _deployer.WaitForAsync("full", d => d.Status.Phase == DeploymentPhase.Failed, cancellationToken: Ct);

        var condition = Assert.Single(failed.Status.Conditions, c => c.Type == "Ready");
        Assert.Contains("could not start: No space left on device", condition.Message, StringComparison.Ordinal);
        Assert.Empty(_deployer.Replicas("full"));
        Assert.NotNull(await _deployer.GetAsync("full", Ct));
    }

    [Fact]
    public async Task A_replica_that_never_becomes_ready_fails_the_deployment_after_the_ready_timeout()
    {
        // Only this test wants a short ready timeout: the others need replicas that get ready on a busy machine.
        await _deployer.StopAsync();
        await _deployer.StartAsync(("Deployer__ReadyTimeout", "00:00:03"));
        var endless = TestModels.WriteCountingLoop(_deployer.ModelsDirectory, fixedIterations: long.MaxValue);

        (await _deployer.CreateAsync("endless", _deployer.ModelVariant(uri: endless), cancellationToken: Ct)).Dispose();
        var failed = await _deployer.WaitForAsync("endless", d => d.Status.Phase == DeploymentPhase.Failed, cancellationToken: Ct);

        var condition = Assert.Single(failed.Status.Conditions, c => c.Type == "Ready");
        Assert.Contains("stable variant not ready: 0 of 1 replicas ready after 3 s", condition.Message, StringComparison.Ordinal);
        Assert.DoesNotContain((await _deployer.RoutesAsync(Ct)).Models, model => model.Name == "endless");

        // The replica that spins in its warm-up goes with the deployment.
        (await _deployer.Client.DeleteAsync("/v1/deployments/endless", Ct)).Dispose();
        await _deployer.WaitForGoneAsync("endless", Ct);
        Assert.Empty(_deployer.Replicas("endless"));
    }

    private sealed class FaultFixture : DeployerHarness
    {
        protected override Dictionary<string, string> Settings() => new()
        {
            ["Deployer__StoreBusyTimeout"] = "00:00:01",
        };
    }
}
