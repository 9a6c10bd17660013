using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Routing;
using ModelPlatform.Deployer.State;
using ModelPlatform.Deployer.State.Sqlite;
using ModelPlatform.Deployer.Workflows;

namespace ModelPlatform.Deployer.Tests.Workflows;

/// <summary>The start-up reconcile does not hold up the host's start (the server listens first); readiness waits for it.</summary>
public sealed class StartupReconcilerTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("modelplatform-startup-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task A_slow_start_up_reconcile_lets_the_host_start_and_keeps_readiness_false_until_it_is_done()
    {
        var store = new SlowListStore(new SqliteDeploymentStore(new SqliteDatabase(Options.Create(new DeployerOptions { DataDirectory = _data }))));
        var provisioner = new FakeProvisioner();
        using var routes = new RouteTableService(store, provisioner, NullLogger<RouteTableService>.Instance);
        await using var coordinator = new DeploymentCoordinator(new NoScheduler(), store, null!, TimeProvider.System, NullLogger<DeploymentCoordinator>.Instance);
        using var reconciler = new StartupReconciler(store, provisioner, routes, coordinator, TimeProvider.System, NullLogger<StartupReconciler>.Instance);
        var readiness = new StartupReconcileHealthCheck(reconciler);

        // Hosted services start one after another, the web server last: this start must return while the store is slow.
        await reconciler.StartAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(HealthStatus.Unhealthy, (await readiness.CheckHealthAsync(new HealthCheckContext(), Ct)).Status);

        store.Release.SetResult();
        while ((await readiness.CheckHealthAsync(new HealthCheckContext(), Ct)).Status != HealthStatus.Healthy)
        {
            await Task.Delay(10, Ct);
        }

        await reconciler.StopAsync(Ct);
    }

    /// <summary>Lists only when released, as a store far away or a long list would.</summary>
    private sealed class SlowListStore(IDeploymentStore inner) : IDeploymentStore
    {
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<IReadOnlyList<StoredDeployment>> ListAsync(CancellationToken cancellationToken)
        {
            await Release.Task.WaitAsync(cancellationToken);
            return await inner.ListAsync(cancellationToken);
        }

        public Task<StoredDeployment?> GetAsync(string name, CancellationToken cancellationToken) => inner.GetAsync(name, cancellationToken);

        public Task<StoredDeployment> CreateAsync(DeploymentRecord record, CancellationToken cancellationToken) => inner.CreateAsync(record, cancellationToken);

        public Task<StoredDeployment> UpdateAsync(DeploymentRecord record, string etag, CancellationToken cancellationToken) =>
            inner.UpdateAsync(record, etag, cancellationToken);

        public Task DeleteAsync(string name, string etag, CancellationToken cancellationToken) => inner.DeleteAsync(name, etag, cancellationToken);

        public Task<long> NextRouteVersionAsync(CancellationToken cancellationToken) => inner.NextRouteVersionAsync(cancellationToken);
    }

    /// <summary>No deployment exists, so nothing is ever scheduled.</summary>
    private sealed class NoScheduler : IWorkflowScheduler
    {
        public Task ScheduleAsync(string workflowName, string instanceId, object? input, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("nothing to schedule");

        public Task<WorkflowOutcome?> WaitForCompletionAsync(string instanceId, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("nothing to wait for");
    }
}
