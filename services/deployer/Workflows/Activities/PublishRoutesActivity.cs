using Dapr.Workflow;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Routing;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows.Activities;

/// <summary>
/// Stores the variants to route to with their weights, and publishes the new route table. A replica
/// set routed before keeps its first routing time, so a weight change does not move it.
/// </summary>
internal sealed class PublishRoutesActivity(IDeploymentStore store, RouteTableService routes, TimeProvider time) : WorkflowActivity<PublishRoutesInput, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, PublishRoutesInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await store.UpdateAsync(
            input.Deployment,
            record => record.Generation == input.Generation ? record with { Routes = Stamped(record, input.Routes, time.GetUtcNow()) } : null,
            CancellationToken.None);
        await routes.RefreshAsync(CancellationToken.None);
        return true;
    }

    private static List<PublishedVariant> Stamped(DeploymentRecord record, IReadOnlyList<PublishedVariant> routes, DateTimeOffset now) =>
        [.. routes.Select(route => record.Routes.FirstOrDefault(published => published.ReplicaSet.Id == route.ReplicaSet.Id) is { RoutedAt: not null } before
            ? route with { RoutedAt = before.RoutedAt, AcceptedAt = before.AcceptedAt }
            : route with { RoutedAt = now, AcceptedAt = record.AcceptedAt })];
}
