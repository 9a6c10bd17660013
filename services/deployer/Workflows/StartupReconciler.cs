using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Routing;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows;

/// <summary>
/// After a restart: stops the replica sets their deployment no longer wants (orphans of a crash),
/// keeps (and names in its log) the sets of deployments the store does not hold, starts again
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
        var known = deployments.Select(stored => stored.Record.Name).ToHashSet(StringComparer.Ordinal);
        var unowned = new List<string>();
        foreach (var orphan in provisioner.ReplicaSets().Where(set => !wanted.Contains(set)))
        {
            // A deployment's record is written before any of its sets and deleted after all of them,
            // so a set of a deployment the store does not hold was not orphaned by a crash of this
            // store's deployer: the store was lost (its installation id pinned) or restored from an
            // older backup. No route names it, but a deployment created again takes it back without
            // starting anything, so it stays until someone decides.
            if (provisioner.Observe(orphan)?.Deployment is not { } deployment || !known.Contains(deployment))
            {
                unowned.Add(orphan);
                continue;
            }

            LogOrphan(logger, orphan);
            await provisioner.RemoveAsync(orphan, cancellationToken);
        }

        if (unowned.Count > 0)
        {
            LogUnowned(logger, unowned.Count, string.Join(", ", unowned));
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping replica set {ReplicaSet}: its deployment no longer wants it")]
    private static partial void LogOrphan(ILogger logger, string replicaSet);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Keeping {Count} replica set(s) of deployments this deployer's store does not hold (a lost or restored store?), unrouted: {ReplicaSets}. " +
        "Create a deployment again with the same name and spec to take its set back; remove the others by hand (docs/deployer.md, \"Installation id\")")]
    private static partial void LogUnowned(ILogger logger, int count, string replicaSets);
}
