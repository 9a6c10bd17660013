using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Routing;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows;

/// <summary>
/// After a restart: stops the replica sets no deployment wants (orphans of a crash), starts again
/// the replicas of every routed variant that are missing, publishes the route table, and hands every
/// deployment to the coordinator. Starts after the provisioner has adopted the replicas it found,
/// but works in the background, so the server listens (and answers liveness) meanwhile; readiness
/// waits for it (<see cref="StartupReconcileHealthCheck"/>). A failed pass is tried again with backoff.
/// </summary>
internal sealed partial class StartupReconciler(
    IDeploymentStore store,
    IReplicaProvisioner provisioner,
    RouteTableService routes,
    DeploymentCoordinator coordinator,
    TimeProvider time,
    ILogger<StartupReconciler> logger) : BackgroundService
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private volatile bool _completed;

    /// <summary>Whether the start-up pass has finished.</summary>
    public bool Completed => _completed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Let the host go on starting (the server among it) before the first await of real work.
        await Task.Yield();
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                await ReconcileAsync(stoppingToken);
                _completed = true;
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Every step is idempotent: the pass runs again from the top.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogFailed(logger, ex, delay);
                await Task.Delay(delay, time, stoppingToken);
                delay = delay * 2 < MaxRetryDelay ? delay * 2 : MaxRetryDelay;
            }
        }
    }

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var deployments = await store.ListAsync(cancellationToken);
        var wanted = deployments.SelectMany(stored => ReplicaSetsOf(stored.Record)).ToHashSet(StringComparer.Ordinal);
        foreach (var orphan in provisioner.ReplicaSets().Where(set => !wanted.Contains(set)))
        {
            LogOrphan(logger, orphan);
            await provisioner.RemoveAsync(orphan, cancellationToken);
        }

        // What was serving serves again: replicas that a graceful stop ended (or that died with the
        // machine) start again now; adopted ones are simply kept. Workflows handle the rest.
        foreach (var record in deployments.Select(stored => stored.Record).Where(record => !record.Deleting))
        {
            foreach (var set in record.Routes.Select(route => route.ReplicaSet).Concat(record.DesiredReplicaSets()).DistinctBy(set => set.Id))
            {
                await provisioner.EnsureAsync(set, cancellationToken);
            }
        }

        await routes.RefreshAsync(cancellationToken);
        foreach (var stored in deployments)
        {
            coordinator.Reconcile(stored.Record.Name);
        }
    }

    private static IEnumerable<string> ReplicaSetsOf(DeploymentRecord record) =>
        record.DesiredReplicaSets().Concat(record.Routes.Select(route => route.ReplicaSet)).Select(set => set.Id);

    [LoggerMessage(Level = LogLevel.Error, Message = "Start-up reconcile failed; trying again in {Delay}")]
    private static partial void LogFailed(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping replica set {ReplicaSet}: no deployment wants it")]
    private static partial void LogOrphan(ILogger logger, string replicaSet);
}
