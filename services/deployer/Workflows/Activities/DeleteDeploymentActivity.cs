using Dapr.Workflow;
using ModelPlatform.Deployer.Routing;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows.Activities;

/// <summary>Forgets a deployment whose routes are drained and replicas stopped.</summary>
internal sealed class DeleteDeploymentActivity(IDeploymentStore store, RouteTableService routes) : WorkflowActivity<GenerationInput, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, GenerationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        for (var attempt = 0; attempt < 20; attempt++)
        {
            if (await store.GetAsync(input.Deployment, CancellationToken.None) is not { Record.Deleting: true } stored)
            {
                break;
            }

            try
            {
                await store.DeleteAsync(input.Deployment, stored.ETag, CancellationToken.None);
                break;
            }
            catch (ConcurrencyException)
            {
            }
        }

        await routes.RefreshAsync(CancellationToken.None);
        return true;
    }
}
