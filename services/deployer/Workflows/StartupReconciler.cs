using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Routing;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows;

/// <summary>
/// After a restart: stops the replica sets no deployment wants (orphans of a crash), publishes the
/// route table from what is running, and reconciles every deployment, so that missing replicas are
/// started again. Runs after the provisioner has adopted the replicas it found.
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

        await routes.RefreshAsync(cancellationToken);
        foreach (var stored in deployments)
        {
            coordinator.Reconcile(stored.Record.Name);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static IEnumerable<string> ReplicaSetsOf(DeploymentRecord record)
    {
        yield return Specs.ReplicaSetId(record.Name, record.Stable);
        if (record.Canary is { } canary)
        {
            yield return Specs.ReplicaSetId(record.Name, canary);
        }

        foreach (var route in record.Routes)
        {
            yield return route.ReplicaSet;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping replica set {ReplicaSet}: no deployment wants it")]
    private static partial void LogOrphan(ILogger logger, string replicaSet);
}
