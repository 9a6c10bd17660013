using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Routing;
using ModelPlatform.Deployer.State;
using ModelPlatform.Deployer.State.Sqlite;
using ModelPlatform.Deployer.Workflows;
using ModelPlatform.Deployer.Workflows.Embedded;

namespace ModelPlatform.Deployer.Tests.Workflows;

/// <summary>
/// The reconcile workflow in the embedded host over a provisioner double: transient provisioner
/// failures are retried, refusals fail the revision with a settled audit entry, and a failed
/// revision leaves only what is routed running.
/// </summary>
public sealed class ReconcileWorkflowTests : IAsyncDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("modelplatform-reconcile-").FullName;
    private readonly FakeProvisioner _provisioner = new();
    private readonly ServiceProvider _services;

    public ReconcileWorkflowTests()
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(Options.Create(new DeployerOptions { DataDirectory = _data }));
        services.AddSingleton<TimeProvider>(new TestTime(DateTimeOffset.UtcNow));
        services.AddSingleton<IHostApplicationLifetime, ApplicationLifetime>();
        services.AddSingleton<SqliteDatabase>();
        services.AddSingleton<IDeploymentStore, SqliteDeploymentStore>();
        services.AddSingleton<IAuditLog, SqliteAuditLog>();
        services.AddSingleton<IWorkflowJournal, SqliteWorkflowJournal>();
        services.AddSingleton<IReplicaProvisioner>(_provisioner);
        services.AddSingleton<RouteTableService>();
        services.AddSingleton(DeploymentWorkflows.Registry());
        services.AddSingleton<EmbeddedWorkflowHost>();
        _services = services.BuildServiceProvider();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task A_provisioner_briefly_unavailable_is_tried_again_until_the_revision_applies()
    {
        var record = await CreateAsync("transient");
        // Twelve refusals in a row: waits of 1, 2, 4, 8, 16 and then 30 s, four minutes of an API
        // server away (timers fire at once here).
        for (var i = 0; i < 12; i++)
        {
            _provisioner.EnsureFailures.Enqueue(new ProvisionerUnavailableException("the API server answered 503"));
        }

        var result = await ReconcileAsync("transient");

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(13, _provisioner.EnsureCalls);
        var stored = await Store.GetAsync("transient", Ct);
        Assert.Equal(1, stored!.Record.ObservedGeneration);
        Assert.Null(stored.Record.Failure);
        Assert.Equal(AuditOutcomes.Succeeded, (await AuditOf(record)).Outcome.Status);
    }

    [Fact]
    public async Task A_provisioner_unavailable_longer_than_the_retry_budget_fails_the_revision_with_its_reason()
    {
        await CreateAsync("outage");
        for (var i = 0; i < TransientRetry.MaxAttempts; i++)
        {
            _provisioner.EnsureFailures.Enqueue(new ProvisionerUnavailableException("the API server answered 503"));
        }

        var result = await ReconcileAsync("outage");

        // As docs/deployer.md says: waits of 1, 2, 4, 8, 16 and eight of 30 s, 271 s in all.
        Assert.Equal(14, TransientRetry.MaxAttempts);
        Assert.False(result.Succeeded);
        Assert.Equal(TransientRetry.MaxAttempts, _provisioner.EnsureCalls);
        Assert.Equal("stable variant not provisioned: the API server answered 503", (await Store.GetAsync("outage", Ct))!.Record.Failure);
    }

    [Fact]
    public async Task A_provisioning_refusal_fails_the_revision_at_once_and_its_audit_entry_says_failed()
    {
        var record = await CreateAsync("refused");
        _provisioner.EnsureFailures.Enqueue(new ProvisioningException("apply Deployment refused: 422 Invalid"));

        var result = await ReconcileAsync("refused");

        Assert.False(result.Succeeded);
        Assert.Equal(1, _provisioner.EnsureCalls);
        var stored = await Store.GetAsync("refused", Ct);
        Assert.Equal(1, stored!.Record.ObservedGeneration);
        Assert.Equal("stable variant not provisioned: apply Deployment refused: 422 Invalid", stored.Record.Failure);
        var entry = await AuditOf(record);
        Assert.Equal(AuditOutcomes.Failed, entry.Outcome.Status);
        Assert.Equal(stored.Record.Failure, entry.Outcome.Reason);
    }

    [Fact]
    public async Task A_revision_that_never_gets_ready_removes_the_replica_set_it_started_and_keeps_the_routed_one()
    {
        var record = await CreateAsync("rollout");
        Assert.True((await ReconcileAsync("rollout")).Succeeded);
        var serving = Assert.Single(_provisioner.ReplicaSets());

        var stored = await Store.GetAsync("rollout", Ct);
        var v2 = stored!.Record with { Stable = Variant(replicas: 2, flavour: "v2"), Generation = 2 };
        await Audit.UpdateAsync(v2, stored.ETag, AuditDraft.For(AuditActions.Update, AuditActor.Anonymous, DateTimeOffset.UtcNow, stored.Record, v2), Ct);
        var broken = Specs.ReplicaSetId("rollout", v2.Stable);
        _provisioner.NeverReady[broken] = "replica 0 exited with code 3 (the model failed to load)";

        var result = await ReconcileAsync("rollout", attempt: 2);

        Assert.False(result.Succeeded);
        Assert.Equal([serving], _provisioner.ReplicaSets());
        var failed = (await Store.GetAsync("rollout", Ct))!.Record;
        Assert.Equal(2, failed.ObservedGeneration);
        Assert.Equal(serving, Assert.Single(failed.Routes).ReplicaSet.Id);
        Assert.Contains("exited with code 3", failed.Failure, StringComparison.Ordinal);
        Assert.Equal(AuditOutcomes.Failed, (await AuditOf(record, revision: 2)).Outcome.Status);
    }

    private IDeploymentStore Store => _services.GetRequiredService<IDeploymentStore>();

    private IAuditLog Audit => _services.GetRequiredService<IAuditLog>();

    private static VariantSpec Variant(int replicas = 1, string flavour = "v1") => new()
    {
        Model = new ModelSource { Format = "onnx", Uri = "/models/a.onnx" },
        Replicas = replicas,
        Env = new Dictionary<string, string> { ["FLAVOUR"] = flavour },
    };

    private async Task<DeploymentRecord> CreateAsync(string name)
    {
        var record = new DeploymentRecord { Name = name, Uid = Guid.NewGuid().ToString("N"), Stable = Variant() };
        await Audit.CreateAsync(record, AuditDraft.For(AuditActions.Create, AuditActor.Anonymous, DateTimeOffset.UtcNow, null, record), 10, Ct);
        return record;
    }

    private async Task<ReconcileResult> ReconcileAsync(string name, int attempt = 1)
    {
        var host = _services.GetRequiredService<EmbeddedWorkflowHost>();
        var instance = $"{name}-{attempt}";
        await host.ScheduleAsync(nameof(ReconcileWorkflow), instance, new ReconcileInput(name), Ct);
        var outcome = await host.WaitForCompletionAsync(instance, Ct);
        Assert.True(outcome!.Succeeded, outcome.Error);
        return System.Text.Json.JsonSerializer.Deserialize<ReconcileResult>(outcome.Output!, EmbeddedWorkflowHost.Json)!;
    }

    private async Task<AuditEntry> AuditOf(DeploymentRecord record, long revision = 1) =>
        (await Audit.QueryAsync(new AuditQuery(Deployment: record.Name), Ct)).Items.Single(entry => entry.Revision == revision);
}
