using Dapr.Workflow;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Workflows.Activities;

namespace ModelPlatform.Deployer.Workflows;

/// <summary>
/// Brings one deployment to its desired state: provision each variant, wait until its replicas are
/// ready, publish the routes with their weights, then remove the replica sets nothing routes to any
/// more (an old stable after a new revision or a promotion, a canary after a rollback). Deleting
/// drains the routes first, then stops the replicas. Traffic changes are the same workflow: the
/// replicas exist already, so only the routes change.
/// </summary>
internal sealed class ReconcileWorkflow : Workflow<ReconcileInput, ReconcileResult>
{
    /// <summary>
    /// Between publishing routes and stopping the replicas they no longer name: gateways apply a new
    /// table within milliseconds, so requests they sent just before it reach a replica still serving.
    /// </summary>
    public static readonly TimeSpan DrainDelay = TimeSpan.FromMilliseconds(500);

    public override async Task<ReconcileResult> RunAsync(WorkflowContext context, ReconcileInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var name = input.Deployment;
        var plan = await context.CallActivityAsync<ReconcilePlan?>(nameof(PlanReconcileActivity), input);
        if (plan is null)
        {
            return new ReconcileResult(name, 0, true, null);
        }

        if (plan.Deleting)
        {
            await context.CallActivityAsync<bool>(nameof(PublishRoutesActivity), new PublishRoutesInput(name, plan.Generation, []));
            await context.CreateTimer(DrainDelay);
            await context.CallRetryingTransientAsync<bool>(nameof(RemoveReplicaSetsActivity), new RemoveReplicaSetsInput(name, plan.Generation, []));
            await context.CallRetryingTransientAsync<bool>(nameof(DeleteDeploymentActivity), new GenerationInput(name, plan.Generation, plan.Uid));
            return new ReconcileResult(name, plan.Generation, true, null);
        }

        await context.CallActivityAsync<bool>(nameof(RecordProgressActivity), new GenerationInput(name, plan.Generation));
        foreach (var variant in plan.Variants)
        {
            try
            {
                await context.CallRetryingTransientAsync<bool>(nameof(ProvisionVariantActivity), new ProvisionInput(name, plan.Generation, variant.ReplicaSet));
            }
            catch (WorkflowTaskFailedException failed)
            {
                // A refusal of the platform (a Kubernetes API error, say) is the deployment's failure to report, not the workflow's to die of.
                return await FailAsync(context, plan, $"{variant.Name} variant not provisioned: {failed.FailureDetails.ErrorMessage}");
            }
        }

        // A replica set that is already routed needs no readiness gate: gateways keep traffic off its
        // unhealthy replicas anyway, and an operator moving traffic away from a failing canary (or
        // scaling a serving variant) must not wait for it to recover first.
        foreach (var variant in plan.Variants.Where(variant => !variant.Routed))
        {
            var readiness = await context.CallActivityAsync<ReplicaSetReadiness>(nameof(AwaitVariantReadyActivity), variant.ReplicaSet.Id);
            if (!readiness.Ready)
            {
                return await FailAsync(context, plan, $"{variant.Name} variant not ready: {readiness.Reason}");
            }
        }

        var routes = plan.Variants.Select(variant => new Domain.PublishedVariant(variant.Name, variant.Weight, variant.ReplicaSet)).ToList();
        await context.CallActivityAsync<bool>(nameof(PublishRoutesActivity), new PublishRoutesInput(name, plan.Generation, routes));
        // Only a change that retires replica sets (a new revision, a promotion, a rollback) pays the
        // drain delay; a weight change keeps every set and lets the next change start at once.
        if (plan.Retiring.Count > 0)
        {
            await context.CreateTimer(DrainDelay);
            await context.CallRetryingTransientAsync<bool>(nameof(RemoveReplicaSetsActivity),
                new RemoveReplicaSetsInput(name, plan.Generation, [.. plan.Variants.Select(variant => variant.ReplicaSet.Id)]));
        }
        await context.CallActivityAsync<bool>(nameof(RecordOutcomeActivity), new OutcomeInput(name, plan.Generation, true, null, plan.Uid));
        return new ReconcileResult(name, plan.Generation, true, null);
    }

    /// <summary>
    /// Ends a revision that could not be applied: the replica sets it started and nothing routes to
    /// are removed (what serves keeps serving), then the failure is recorded.
    /// </summary>
    private static async Task<ReconcileResult> FailAsync(WorkflowContext context, ReconcilePlan plan, string error)
    {
        try
        {
            await context.CallRetryingTransientAsync<bool>(nameof(RemoveReplicaSetsActivity),
                new RemoveReplicaSetsInput(plan.Deployment, plan.Generation, [], KeepRouted: true));
        }
        catch (WorkflowTaskFailedException failed)
        {
            error = $"{error}; its unrouted replica sets were not removed: {failed.FailureDetails.ErrorMessage}";
        }

        await context.CallActivityAsync<bool>(nameof(RecordOutcomeActivity), new OutcomeInput(plan.Deployment, plan.Generation, false, error, plan.Uid));
        return new ReconcileResult(plan.Deployment, plan.Generation, false, error);
    }
}
