using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.State.Sqlite;
using ModelPlatform.Deployer.Workflows;

namespace ModelPlatform.Deployer.Tests;

/// <summary>The coordinator's retries of crashing workflows, and what the audit trail says when it gives up.</summary>
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
        using var coordinator = new DeploymentCoordinator(scheduler, store, audit, new ImmediateTimers(), NullLogger<DeploymentCoordinator>.Instance);

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
