using Dapr.Workflow;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Routing;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows.Activities;

/// <summary>Forgets a deployment whose routes are drained and replicas stopped; its audit trail stays.</summary>
internal sealed class DeleteDeploymentActivity(IDeploymentStore store, IAuditLog audit, RouteTableService routes, TimeProvider time)
    : WorkflowActivity<GenerationInput, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, GenerationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        // Settled before the record goes, so a deployment seen gone has its delete recorded as done.
        if (input.Uid is { } uid)
        {
            await audit.SettleAsync(uid, input.Generation, new AuditOutcome(AuditOutcomes.Succeeded, null, time.GetUtcNow()), CancellationToken.None);
        }

        await ConflictRetry.RunAsync(async () =>
        {
            if (await store.GetAsync(input.Deployment, CancellationToken.None) is { Record.Deleting: true } stored)
            {
                await store.DeleteAsync(input.Deployment, stored.ETag, CancellationToken.None);
            }

            return true;
        });

        await routes.RefreshAsync(CancellationToken.None);
        return true;
    }
}
