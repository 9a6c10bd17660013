using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.State;
using ModelPlatform.Deployer.State.Sqlite;
using ModelPlatform.Deployer.Workflows;

namespace ModelPlatform.Deployer.Tests;

/// <summary>
/// The coordinator's retries of crashing workflows and of rounds that failed outside them, what the
/// status and the audit trail say when it gives up, the periodic resync, and how it stops.
/// </summary>
public sealed class DeploymentCoordinatorTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("modelplatform-coordinator-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task A_revision_whose_workflows_all_crash_is_given_up_and_recorded_as_failed_with_the_last_error()
    {
        var database = new SqliteDatabase(Options.Create(new DeployerOptions { DataDirectory = _data }));
        var store = new SqliteDeploymentStore(database);
        var audit = new SqliteAuditLog(database);
        var record = new DeploymentRecord
        {
            Name = "crashing",
            Uid = Guid.NewGuid().ToString("N"),
            Stable = new VariantSpec { Model = new ModelSource { Format = "onnx", Uri = "/models/a.onnx" } },
        };
        await audit.CreateAsync(record, AuditDraft.For(AuditActions.Create, AuditActor.Anonymous, DateTimeOffset.UtcNow, null, record), 10, Ct);
        var scheduler = new CrashingScheduler();
        await using var coordinator = new DeploymentCoordinator(scheduler, store, audit, new ImmediateTimers(), NullLogger<DeploymentCoordinator>.Instance);

        coordinator.Reconcile("crashing");

        var clock = Stopwatch.StartNew();
        AuditEntry entry;
        while ((entry = (await audit.QueryAsync(new AuditQuery(Deployment: "crashing"), Ct)).Items.Single()).Outcome.Status == AuditOutcomes.Pending)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("The coordinator never gave up.");
            }

            await Task.Delay(20, Ct);
        }

        Assert.Equal(AuditOutcomes.Failed, entry.Outcome.Status);
        Assert.Equal($"Gave up after {DeploymentCoordinator.MaxAttempts} workflow attempts; the last ended with: crash 5", entry.Outcome.Reason);
        Assert.Equal(DeploymentCoordinator.MaxAttempts, scheduler.Scheduled);
        // The status says so too, as for a revision that failed: a client waiting for Failed sees it.
        var given = (await store.GetAsync("crashing", Ct))!.Record;
        Assert.Equal(given.Generation, given.ObservedGeneration);
        Assert.Equal(entry.Outcome.Reason, given.Failure);
        Assert.Contains(given.Conditions, condition => condition is { Type: "Ready", Status: "False", Reason: "RevisionFailed" });
        var phase = new Status.DeploymentStatusBuilder(new Workflows.FakeProvisioner(), Options.Create(new DeployerOptions())).Build(given).Status.Phase;
        Assert.Equal(DeploymentPhase.Failed, phase);
    }

    [Fact]
    public async Task A_scheduler_that_fails_a_few_times_is_tried_again_until_the_workflow_runs()
    {
        var (store, audit) = Stores();
        await CreateAsync(audit, "unreachable");
        var scheduler = new FlakySchedulerCompletingInStore(store, failures: 3);
        await using var coordinator = new DeploymentCoordinator(scheduler, store, audit, new ImmediateTimers(), NullLogger<DeploymentCoordinator>.Instance);

        coordinator.Reconcile("unreachable");

        await WaitUntilAsync(async () => (await store.GetAsync("unreachable", Ct))!.Record.ObservedGeneration == 1);
        Assert.Equal(4, scheduler.Calls);
        Assert.Equal(1, scheduler.Completed);
    }

    [Fact]
    public async Task Resync_hands_over_deployments_left_in_progress_and_only_those()
    {
        var (store, audit) = Stores();
        await CreateAsync(audit, "left-behind");
        var done = await CreateAsync(audit, "done");
        await store.UpdateAsync("done", record => record with { ObservedGeneration = record.Generation }, Ct);
        var scheduler = new FlakySchedulerCompletingInStore(store, failures: 0);
        await using var coordinator = new DeploymentCoordinator(scheduler, store, audit, new ImmediateTimers(), NullLogger<DeploymentCoordinator>.Instance);
        var resync = new DeploymentResync(store, coordinator, Options.Create(new DeployerOptions()), TimeProvider.System, NullLogger<DeploymentResync>.Instance);

        await resync.ResyncAsync(Ct);

        await WaitUntilAsync(async () => (await store.GetAsync("left-behind", Ct))!.Record.ObservedGeneration == 1);
        Assert.Equal(["left-behind"], scheduler.Deployments);
        Assert.NotNull(done);
    }

    [Fact]
    public async Task Disposing_waits_for_the_rounds_in_flight_instead_of_pulling_their_token_away()
    {
        var (store, audit) = Stores();
        await CreateAsync(audit, "busy");
        var scheduler = new BlockedScheduler();
        var coordinator = new DeploymentCoordinator(scheduler, store, audit, new ImmediateTimers(), NullLogger<DeploymentCoordinator>.Instance);
        coordinator.Reconcile("busy");
        await scheduler.Waiting.Task.WaitAsync(Ct);

        var disposing = coordinator.DisposeAsync();

        Assert.False(disposing.IsCompleted);
        scheduler.Release.SetResult();
        await disposing;
    }

    [Fact]
    public void The_resync_interval_is_validated()
    {
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        var options = new DeployerOptions { ResyncInterval = TimeSpan.Zero };

        Assert.False(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, validateAllProperties: true));
        Assert.Contains(results, result => result.MemberNames.Contains(nameof(DeployerOptions.ResyncInterval)));
        Assert.Equal(TimeSpan.FromSeconds(30), new DeployerOptions().ResyncInterval);
    }

    private (SqliteDeploymentStore Store, SqliteAuditLog Audit) Stores()
    {
        var database = new SqliteDatabase(Options.Create(new DeployerOptions { DataDirectory = _data }));
        return (new SqliteDeploymentStore(database), new SqliteAuditLog(database));
    }

    private static async Task<DeploymentRecord> CreateAsync(SqliteAuditLog audit, string name)
    {
        var record = new DeploymentRecord
        {
            Name = name,
            Uid = Guid.NewGuid().ToString("N"),
            Stable = new VariantSpec { Model = new ModelSource { Format = "onnx", Uri = "/models/a.onnx" } },
        };
        await audit.CreateAsync(record, AuditDraft.For(AuditActions.Create, AuditActor.Anonymous, DateTimeOffset.UtcNow, null, record), 10, Ct);
        return record;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("The coordinator never got there.");
            }

            await Task.Delay(20, Ct);
        }
    }

    /// <summary>Throws as a sidecar not connected yet does, a few times; then runs "workflows" that apply the revision.</summary>
    private sealed class FlakySchedulerCompletingInStore(SqliteDeploymentStore store, int failures) : IWorkflowScheduler
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _deployments = new();

        public int Calls;

        public int Completed;

        public IReadOnlyList<string> Deployments => [.. _deployments.Distinct()];

        public Task ScheduleAsync(string workflowName, string instanceId, object? input, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref Calls) <= failures)
            {
                throw new InvalidOperationException("the workflow worker is not connected to the sidecar yet");
            }

            _deployments.Enqueue(((ReconcileInput)input!).Deployment);
            return Task.CompletedTask;
        }

        public async Task<WorkflowOutcome?> WaitForCompletionAsync(string instanceId, CancellationToken cancellationToken)
        {
            foreach (var deployment in _deployments)
            {
                await store.UpdateAsync(deployment, record => record with { ObservedGeneration = record.Generation }, cancellationToken);
            }

            Interlocked.Increment(ref Completed);
            return new WorkflowOutcome(instanceId, true, null);
        }
    }

    /// <summary>A workflow that ends only when the test says, whatever the token says.</summary>
    private sealed class BlockedScheduler : IWorkflowScheduler
    {
        public TaskCompletionSource Waiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task ScheduleAsync(string workflowName, string instanceId, object? input, CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task<WorkflowOutcome?> WaitForCompletionAsync(string instanceId, CancellationToken cancellationToken)
        {
            Waiting.TrySetResult();
            await Release.Task;
            return new WorkflowOutcome(instanceId, true, null);
        }
    }

    /// <summary>Every workflow it starts crashes.</summary>
    private sealed class CrashingScheduler : IWorkflowScheduler
    {
        public int Scheduled;

        public Task ScheduleAsync(string workflowName, string instanceId, object? input, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Scheduled);
            return Task.CompletedTask;
        }

        public Task<WorkflowOutcome?> WaitForCompletionAsync(string instanceId, CancellationToken cancellationToken) =>
            Task.FromResult<WorkflowOutcome?>(new WorkflowOutcome(instanceId, false, $"crash {Volatile.Read(ref Scheduled)}"));
    }

    /// <summary>Backoff delays end at once.</summary>
    private sealed class ImmediateTimers : TimeProvider
    {
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            base.CreateTimer(callback, state, TimeSpan.Zero, period);
    }
}
