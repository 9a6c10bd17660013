using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Changes;
using ModelPlatform.Deployer.Rollouts;
using ModelPlatform.Deployer.Security;
using ModelPlatform.Deployer.Status;

namespace ModelPlatform.Deployer.Api;

/// <summary>
/// <c>/v1/deployments/{name}/rollout</c>: an operator pauses, resumes or aborts the rollout a
/// deployment's <c>rollout</c> policy runs. The rollout's state is in the deployment's status.
/// </summary>
internal static class RolloutsApi
{
    public static IEndpointRouteBuilder MapRolloutsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/deployments/{name}/rollout").WithTags("Deployments");
        group.MapPost("/pause", Pause).WithName("PauseRollout")
            .WithSummary("Pause the running rollout: the canary keeps its weight until it is resumed or aborted.")
            .WithDescription("The status (rollout.pausedBy, rollout.reason) names who paused it. Pausing a paused rollout changes nothing. " +
                "409 when no rollout runs.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Operate);
        group.MapPost("/resume", Resume).WithName("ResumeRollout")
            .WithSummary("Resume a paused rollout at the step it paused at, judged afresh over a new window.")
            .WithDescription("409 when the rollout is not paused, or the deployment no longer has its canary or its rollout policy.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Operate);
        group.MapPost("/abort", Abort).WithName("AbortRollout")
            .WithSummary("Abort the rollout and roll the canary back: traffic returns to stable first, then the canary's replicas stop.")
            .WithDescription("409 when no rollout is running or paused.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Operate);
        return app;
    }

    internal static async Task<Results<Ok<Deployment>, Accepted<Deployment>, ProblemHttpResult>> Pause(
        string name, HttpContext context, RolloutControl control, DeploymentStatusBuilder statuses) =>
        ToHttpResult(name, await control.PauseAsync(name, AuditActor.Of(context), context.RequestAborted), context, statuses);

    internal static async Task<Results<Ok<Deployment>, Accepted<Deployment>, ProblemHttpResult>> Resume(
        string name, HttpContext context, RolloutControl control, DeploymentStatusBuilder statuses) =>
        ToHttpResult(name, await control.ResumeAsync(name, AuditActor.Of(context), context.RequestAborted), context, statuses);

    internal static async Task<Results<Ok<Deployment>, Accepted<Deployment>, ProblemHttpResult>> Abort(
        string name, HttpContext context, RolloutControl control, DeploymentStatusBuilder statuses) =>
        ToHttpResult(name, await control.AbortAsync(name, AuditActor.Of(context), context.RequestAborted), context, statuses);

    /// <summary>200 with the deployment (its status shows the rollout), 202 when a rollback started, 404, or 409 naming why.</summary>
    private static Results<Ok<Deployment>, Accepted<Deployment>, ProblemHttpResult> ToHttpResult(
        string name, ChangeResult result, HttpContext context, DeploymentStatusBuilder statuses)
    {
        switch (result)
        {
            case ChangeResult.Unchanged unchanged:
                context.Response.Headers.ETag = DeploymentResults.ETag(unchanged.Record.Generation);
                return TypedResults.Ok(statuses.Build(unchanged.Record));
            case ChangeResult.Started started:
                context.Response.Headers.ETag = DeploymentResults.ETag(started.Record.Generation);
                return TypedResults.Accepted($"/v1/deployments/{name}", statuses.Build(started.Record));
            case ChangeResult.NotFound:
                return DeploymentResults.NotFound(name);
            case ChangeResult.Conflict conflict:
                return DeploymentResults.Conflict(conflict.Reason);
            default:
                throw new UnreachableException($"{result.GetType().Name} is not a result a rollout control gives.");
        }
    }
}
