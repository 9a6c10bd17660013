using Dapr.Workflow;
using ModelPlatform.Deployer.Routing;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows.Activities;

/// <summary>Stores the variants to route to with their weights, and publishes the new route table.</summary>
internal sealed class PublishRoutesActivity(IDeploymentStore store, RouteTableService routes) : WorkflowActivity<PublishRoutesInput, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, PublishRoutesInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await store.UpdateAsync(
            input.Deployment,
            record => record.Generation == input.Generation ? record with { Routes = input.Routes } : null,
            CancellationToken.None);
        await routes.RefreshAsync(CancellationToken.None);
        return true;
    }
}
