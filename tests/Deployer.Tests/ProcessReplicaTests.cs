using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Provisioning.Processes;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>
/// One supervised replica slot with real processes and a registry double: what happens when the
/// registry fails, and when an adopted pid turns out to belong to another process.
/// </summary>
public sealed class ProcessReplicaTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("modelplatform-replica-").FullName;
    private readonly List<Process> _strangers = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> RegistryFailures => ["sqlite", "io"];

    [Theory]
    [MemberData(nameof(RegistryFailures))]
    public async Task A_replica_whose_registration_fails_is_stopped_and_the_slot_never_runs_two_processes(string failure)
    {
        var registry = new FlakyRegistry(failures: 2, failure == "sqlite" ? () => new SqliteException("disk I/O error", 10) : () => new IOException("disk I/O error"));
        var (replica, logPath) = NewReplica(registry);

        var registered = await registry.Saved.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);

        // Each launch whose registration failed was stopped before the next one started.
        Assert.Equal(3, registry.Attempts.Count);
        Assert.All(registry.Attempts.Take(2), pid => Assert.False(ReplicaProcesses.IsAlive(pid), $"unregistered replica {pid} is still running"));
        Assert.Equal([registered.Pid], ReplicaProcesses.WithEnvironment("REPLICA_LOG", logPath));
        Assert.NotNull(registered.Identity);

        await replica.StopAsync();
        Assert.Empty(ReplicaProcesses.WithEnvironment("REPLICA_LOG", logPath));
    }

    public static TheoryData<string> ForeignIdentities => ["start time", "command line"];

    [Theory]
    [MemberData(nameof(ForeignIdentities))]
    public async Task An_adopted_pid_now_held_by_another_process_is_neither_signalled_nor_taken_for_the_replica(string differs)
    {
        // The replica died while no deployer watched, and its pid went to an unrelated process.
        var stranger = StartStranger();
        var actual = ProcessIdentity.Of(stranger.Id)!;
        var registeredIdentity = differs == "start time"
            ? actual with { StartTime = actual.StartTime - 1 }
            : actual with { CommandLine = "/usr/share/dotnet/dotnet /opt/sample-inference/ModelPlatform.SampleInference.dll" };
        var registry = new FlakyRegistry(failures: 0, () => new IOException());
        var (replica, logPath) = NewReplica(registry, adopted: identity => new RegisteredReplica("unit-0", 0, stranger.Id, 1, identity, registeredIdentity));

        // Not taken for the replica: the slot starts a replica of its own.
        var registered = await registry.Saved.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        Assert.NotEqual(stranger.Id, registered.Pid);
        Assert.Equal([registered.Pid], ReplicaProcesses.WithEnvironment("REPLICA_LOG", logPath));

        // Not signalled when the slot is stopped.
        await replica.StopAsync();
        Assert.False(stranger.HasExited, "the unrelated process was signalled");
        Assert.Empty(ReplicaProcesses.WithEnvironment("REPLICA_LOG", logPath));
    }

    public void Dispose()
    {
        foreach (var stranger in _strangers)
        {
            if (!stranger.HasExited)
            {
                stranger.Kill();
                stranger.WaitForExit();
            }

            stranger.Dispose();
        }

        // Whatever a failed test left running goes too.
        foreach (var pid in ReplicaProcesses.WithEnvironment("Inference__BindAddress", "127.0.0.1")
            .Where(pid => ReplicaProcesses.EnvironmentValue(pid, "REPLICA_LOG")?.StartsWith(_root, StringComparison.Ordinal) == true))
        {
            ReplicaProcesses.Kill(pid);
        }

        _http.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private Process StartStranger()
    {
        var stranger = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;
        _strangers.Add(stranger);
        return stranger;
    }

    private (ProcessReplica Replica, string LogPath) NewReplica(FlakyRegistry registry, Func<ReplicaSetSpec, RegisteredReplica>? adopted = null)
    {
        var options = Options.Create(new DeployerOptions
        {
            DataDirectory = Path.Combine(_root, "data"),
            Processes = { RestartDelay = TimeSpan.FromMilliseconds(50), MaxRestartDelay = TimeSpan.FromMilliseconds(200), StopTimeout = TimeSpan.FromSeconds(10) },
        });
        var model = TestModels.WriteAddMul(_root);
        var spec = new ReplicaSetSpec("unit-0", "unit", VariantNames.Stable, new VariantSpec { Model = new ModelSource { Format = "onnx", Uri = model } });
        var logPath = Path.Combine(_root, "data", "logs", spec.Id, "replica-0.log");
        var replica = new ProcessReplica(spec, 0, logPath, new ReplicaLauncher(options), registry, options, _http, () => { }, NullLogger.Instance, adopted?.Invoke(spec));
        return (replica, logPath);
    }

    /// <summary>A registry whose first saves fail as a store under trouble does; remembers every pid it was asked to save.</summary>
    private sealed class FlakyRegistry(int failures, Func<Exception> failure) : IReplicaRegistry
    {
        private int _failures = failures;

        public ConcurrentQueue<int> Attempts { get; } = new();

        public TaskCompletionSource<RegisteredReplica> Saved { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task SaveAsync(RegisteredReplica replica, CancellationToken cancellationToken)
        {
            Attempts.Enqueue(replica.Pid);
            if (Interlocked.Decrement(ref _failures) >= 0)
            {
                throw failure();
            }

            Saved.TrySetResult(replica);
            return Task.CompletedTask;
        }

        public Task RemoveAsync(string replicaSet, int ordinal, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<IReadOnlyList<RegisteredReplica>> ListAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<RegisteredReplica>>([]);
    }
}
