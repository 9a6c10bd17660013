using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Routing;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows;

/// <summary>
/// After a restart: stops the replica sets no deployment wants (orphans of a crash), starts again
/// the replicas of every routed variant that are missing, publishes the route table, and hands every
/// deployment to the coordinator. Runs after the provisioner has adopted the replicas it found.
/// </summary>
internal sealed partial class StartupReconciler(
    IDeploymentStore store,
    IReplicaProvisioner provisioner,
    RouteTableService routes,
    DeploymentCoordinator coordinator,
    ILogger<StartupReconciler> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
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

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static IEnumerable<string> ReplicaSetsOf(DeploymentRecord record) =>
        record.DesiredReplicaSets().Concat(record.Routes.Select(route => route.ReplicaSet)).Select(set => set.Id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping replica set {ReplicaSet}: no deployment wants it")]
    private static partial void LogOrphan(ILogger logger, string replicaSet);
}
