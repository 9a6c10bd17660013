using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Changes;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Security;
using ModelPlatform.Deployer.State;
using ModelPlatform.Deployer.Status;

namespace ModelPlatform.Deployer.Api;

/// <summary>
/// <c>/v1/deployments</c>: create, read, replace, delete, and the operator's traffic controls. The
/// handlers map HTTP to <see cref="DeploymentChanges"/> and its <see cref="ChangeResult"/> back to HTTP.
/// </summary>
internal static class DeploymentsApi
{
    public static IEndpointRouteBuilder MapDeploymentsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/deployments").WithTags("Deployments");

        group.MapPost("", Create).WithName("CreateDeployment")
            .WithSummary("Deploy a model: a stable variant and optionally a canary (which starts with no traffic).")
            .WithDescription("403 (problem type " + DeploymentResults.QuotaExceededType + ") when Deployer:MaxDeployments deployments exist already.")
            .Accepts<DeploymentRequest>("application/json")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Deploy);
        group.MapGet("", List).WithName("ListDeployments").WithSummary("Every deployment with its observed status.")
            .RequireAuthorization(Policies.Read);
        group.MapGet("/{name}", Get).WithName("GetDeployment").WithSummary("One deployment with its observed status; ETag for If-Match.")
            .WithDescription("Each variant's status.phases: when its model was stored (or its revision accepted), its first replica " +
                "started, every replica was ready (model loaded and warmed up) and its routes were published, with the seconds between them.")
            .RequireAuthorization(Policies.Read);
        group.MapPut("/{name}", Replace).WithName("ReplaceDeployment")
            .WithSummary("A new revision: replace the stable variant, add or change the canary. Identical requests change nothing.")
            .WithDescription("Creates the deployment if it does not exist, under the same quota as POST (403). " +
                "Another canary weight with the same canary pauses a running rollout, as PUT .../traffic does.")
            .Accepts<DeploymentRequest>("application/json")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .RequireAuthorization(Policies.Deploy);
        group.MapDelete("/{name}", Delete).WithName("DeleteDeployment").WithSummary("Drain the routes, then stop the replicas.")
            .RequireAuthorization(Policies.Deploy);
        group.MapPut("/{name}/traffic", SetTraffic).WithName("SetTraffic")
            .WithSummary("Set the canary's share of traffic, 0 to 100, and the share of stable's requests mirrored to the canary (mirror, 0 to 100).")
            .Accepts<TrafficRequest>("application/json")
            .RequireAuthorization(Policies.Operate);
        group.MapPost("/{name}/promote", Promote).WithName("PromoteCanary")
            .WithSummary("Make the canary the stable variant: traffic moves first, the old stable is removed after.")
            .WithDescription("The promoted canary serves with the stable's replica count, so capacity stays as it was; " +
                "the optional body {\"replicas\": n} names another count.")
            .Accepts<PromoteRequest>(isOptional: true, "application/json")
            .RequireAuthorization(Policies.Operate);
        group.MapPost("/{name}/rollback", Rollback).WithName("RollbackCanary")
            .WithSummary("Remove the canary: traffic returns to stable first, then the canary's replicas stop.")
            .RequireAuthorization(Policies.Operate);
        group.MapGet("/{name}/logs", Logs).WithName("GetReplicaLogs")
            .WithSummary("The last lines a replica wrote (variant=stable|canary, replica=ordinal, tail=lines).")
            .RequireAuthorization(Policies.Read);

        return app;
    }

    /// <summary>What the handlers use, bound from the container.</summary>
    internal sealed record HandlerDependencies(
        IDeploymentStore Store,
        DeploymentChanges Changes,
        DeploymentStatusBuilder Statuses,
        IReplicaProvisioner Provisioner,
        DeploymentPhases Phases);

    internal static async Task<Results<Accepted<Deployment>, Ok<Deployment>, ValidationProblem, ProblemHttpResult>> Create(
        HttpContext context, [AsParameters] HandlerDependencies dependencies)
    {
        var (request, errors) = await JsonBody.ReadAsync<DeploymentRequest>(context.Request, context.RequestAborted);
        if (errors is not null)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var result = await dependencies.Changes.CreateAsync(request!, AuditActor.Of(context), context.RequestAborted);
        return ToHttpResult(request!.Name ?? string.Empty, result, context, dependencies);
    }

    internal static async Task<Ok<DeploymentList>> List([AsParameters] HandlerDependencies dependencies, CancellationToken cancellationToken)
    {
        var stored = await dependencies.Store.ListAsync(cancellationToken);
        var items = new List<Deployment>(stored.Count);
        foreach (var deployment in stored)
        {
            items.Add(await dependencies.Phases.AddAsync(dependencies.Statuses.Build(deployment.Record), deployment.Record, cancellationToken));
        }

        return TypedResults.Ok(new DeploymentList(items));
    }

    internal static async Task<Results<Ok<Deployment>, ProblemHttpResult>> Get(string name, HttpContext context, [AsParameters] HandlerDependencies dependencies)
    {
        var stored = await dependencies.Store.GetAsync(name, context.RequestAborted);
        return stored is null
            ? DeploymentResults.NotFound(name)
            : TypedResults.Ok(await dependencies.Phases.AddAsync(SetETagAndBuildStatus(context, dependencies, stored.Record), stored.Record, context.RequestAborted));
    }

    internal static async Task<Results<Accepted<Deployment>, Ok<Deployment>, ValidationProblem, ProblemHttpResult>> Replace(
        string name, HttpContext context, [AsParameters] HandlerDependencies dependencies)
    {
        var (request, errors) = await JsonBody.ReadAsync<DeploymentRequest>(context.Request, context.RequestAborted);
        if (errors is not null)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var result = await dependencies.Changes.ReplaceAsync(
            name, request!, DeploymentResults.IfMatch(context.Request), AuditActor.Of(context), context.RequestAborted);
        return ToHttpResult(name, result, context, dependencies);
    }

    internal static async Task<Results<Accepted<Deployment>, Ok<Deployment>, ValidationProblem, ProblemHttpResult>> Delete(
        string name, HttpContext context, [AsParameters] HandlerDependencies dependencies)
    {
        var result = await dependencies.Changes.DeleteAsync(name, DeploymentResults.IfMatch(context.Request), AuditActor.Of(context), context.RequestAborted);
        return ToHttpResult(name, result, context, dependencies);
    }

    internal static async Task<Results<Accepted<Deployment>, Ok<Deployment>, ValidationProblem, ProblemHttpResult>> SetTraffic(
        string name, HttpContext context, [AsParameters] HandlerDependencies dependencies)
    {
        var (traffic, errors) = await JsonBody.ReadAsync<TrafficRequest>(context.Request, context.RequestAborted);
        if (errors is not null)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(pair => pair.Key == "$" ? "$" : "traffic." + pair.Key, pair => pair.Value));
        }

        var result = await dependencies.Changes.SetTrafficAsync(
            name, traffic!, DeploymentResults.IfMatch(context.Request), AuditActor.Of(context), context.RequestAborted);
        return ToHttpResult(name, result, context, dependencies);
    }

    internal static async Task<Results<Accepted<Deployment>, Ok<Deployment>, ValidationProblem, ProblemHttpResult>> Promote(
        string name, HttpContext context, [AsParameters] HandlerDependencies dependencies)
    {
        var (request, errors) = await JsonBody.ReadOptionalAsync<PromoteRequest>(context.Request, context.RequestAborted);
        if (errors is not null)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var result = await dependencies.Changes.PromoteAsync(
            name, request, DeploymentResults.IfMatch(context.Request), AuditActor.Of(context), context.RequestAborted);
        return ToHttpResult(name, result, context, dependencies);
    }

    internal static async Task<Results<Accepted<Deployment>, Ok<Deployment>, ValidationProblem, ProblemHttpResult>> Rollback(
        string name, HttpContext context, [AsParameters] HandlerDependencies dependencies)
    {
        var result = await dependencies.Changes.RollbackAsync(name, DeploymentResults.IfMatch(context.Request), AuditActor.Of(context), context.RequestAborted);
        return ToHttpResult(name, result, context, dependencies);
    }

    internal static async Task<Results<ContentHttpResult, ValidationProblem, ProblemHttpResult>> Logs(
        string name, string? variant, int? replica, int? tail, [AsParameters] HandlerDependencies dependencies, CancellationToken cancellationToken)
    {
        variant ??= VariantNames.Stable;
        if (variant is not (VariantNames.Stable or VariantNames.Canary) || replica < 0 || tail is < 1 or > 10_000)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["query"] = ["variant must be stable or canary, replica a non-negative ordinal, tail between 1 and 10000."],
            });
        }

        var stored = await dependencies.Store.GetAsync(name, cancellationToken);
        var spec = variant == VariantNames.Stable ? stored?.Record.Stable : stored?.Record.Canary;
        if (stored is null || spec is null)
        {
            return DeploymentResults.NotFound(name);
        }

        string? text;
        try
        {
            text = await dependencies.Provisioner.ReadLogAsync(Specs.ReplicaSetId(name, spec), replica ?? 0, tail ?? 200, cancellationToken);
        }
        catch (ProvisioningException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Logs unavailable", detail: ex.Message);
        }

        return text is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No logs", detail: $"Replica {replica ?? 0} of the {variant} variant of '{name}' has written no log.")
            : TypedResults.Text(text, "text/plain");
    }

    /// <summary>The one mapping of a change's result to HTTP: 202 started, 200 unchanged, 400, 404, 409, 412 or 403 (quota).</summary>
    private static Results<Accepted<Deployment>, Ok<Deployment>, ValidationProblem, ProblemHttpResult> ToHttpResult(
        string name, ChangeResult result, HttpContext context, HandlerDependencies dependencies) => result switch
        {
            ChangeResult.Started started => TypedResults.Accepted(
                $"/v1/deployments/{started.Record.Name}", SetETagAndBuildStatus(context, dependencies, started.Record)),
            ChangeResult.Unchanged unchanged => TypedResults.Ok(SetETagAndBuildStatus(context, dependencies, unchanged.Record)),
            ChangeResult.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors),
            ChangeResult.NotFound => DeploymentResults.NotFound(name),
            ChangeResult.StaleRevision stale => DeploymentResults.PreconditionFailed(
                name, stale.Current is { } current ? DeploymentResults.ETag(current) : "none (it does not exist)"),
            ChangeResult.Conflict conflict => DeploymentResults.Conflict(conflict.Reason),
            ChangeResult.QuotaExceeded quota => DeploymentResults.QuotaExceeded(quota),
            _ => throw new UnreachableException($"{result.GetType().Name} is not a {nameof(ChangeResult)} this API knows."),
        };

    /// <summary>Sets the response's ETag to the record's revision and returns the record as the API shows it.</summary>
    private static Deployment SetETagAndBuildStatus(HttpContext context, HandlerDependencies dependencies, DeploymentRecord record)
    {
        context.Response.Headers.ETag = DeploymentResults.ETag(record.Generation);
        return dependencies.Statuses.Build(record);
    }
}
