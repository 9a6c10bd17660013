using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Security;
using ModelPlatform.Deployer.State;
using ModelPlatform.Deployer.Status;
using ModelPlatform.Deployer.Validation;
using ModelPlatform.Deployer.Workflows;

namespace ModelPlatform.Deployer.Api;

/// <summary><c>/v1/deployments</c>: create, read, replace, delete, and the operator's traffic controls.</summary>
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
            .RequireAuthorization(Policies.Read);
        group.MapPut("/{name}", Replace).WithName("ReplaceDeployment")
            .WithSummary("A new revision: replace the stable variant, add or change the canary. Identical requests change nothing.")
            .WithDescription("Creates the deployment if it does not exist, under the same quota as POST (403).")
            .Accepts<DeploymentRequest>("application/json")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .RequireAuthorization(Policies.Deploy);
        group.MapDelete("/{name}", Delete).WithName("DeleteDeployment").WithSummary("Drain the routes, then stop the replicas.")
            .RequireAuthorization(Policies.Deploy);
        group.MapPut("/{name}/traffic", SetTraffic).WithName("SetTraffic")
            .WithSummary("Set the canary's share of traffic, 0 to 100.")
            .Accepts<TrafficRequest>("application/json")
            .RequireAuthorization(Policies.Operate);
        group.MapPost("/{name}/promote", Promote).WithName("PromoteCanary")
            .WithSummary("Make the canary the stable variant: traffic moves first, the old stable is removed after.")
            .RequireAuthorization(Policies.Operate);
        group.MapPost("/{name}/rollback", Rollback).WithName("RollbackCanary")
            .WithSummary("Remove the canary: traffic returns to stable first, then the canary's replicas stop.")
            .RequireAuthorization(Policies.Operate);
        group.MapGet("/{name}/logs", Logs).WithName("GetReplicaLogs")
            .WithSummary("The last lines a replica wrote (variant=stable|canary, replica=ordinal, tail=lines).")
            .RequireAuthorization(Policies.Read);

        return app;
    }

    /// <summary>What the handlers need.</summary>
    internal sealed record Services(
        IDeploymentStore Store,
        DeploymentValidator Validator,
        DeploymentCoordinator Coordinator,
        DeploymentDescriber Describer,
        IReplicaProvisioner Provisioner,
        IAuditLog Audit,
        IOptions<DeployerOptions> Options,
        TimeProvider Time);

    internal static async Task<Results<Accepted<Deployment>, Ok<Deployment>, ValidationProblem, ProblemHttpResult>> Create(
        HttpContext context, [AsParameters] Services services)
    {
        var (request, errors) = await JsonBody.ReadAsync<DeploymentRequest>(context.Request, context.RequestAborted);
        errors ??= services.Validator.Validate(request!, nameInPath: null);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var record = NewRecord(request!, request!.Name!, services.Time);
        try
        {
            await CreateAsync(record, context, services);
        }
        catch (QuotaExceededException quota)
        {
            return DeploymentResults.QuotaExceeded(quota);
        }
        catch (ConcurrencyException)
        {
            var existing = await services.Store.GetAsync(record.Name, context.RequestAborted);
            if (existing is { Record: var current } && !current.Deleting && current.Matches(request))
            {
                // A retried create of the same thing: idempotent.
                return TypedResults.Ok(Answer(context, services, current));
            }

            return DeploymentResults.Conflict($"Deployment '{record.Name}' already exists; PUT /v1/deployments/{record.Name} changes it.");
        }

        services.Coordinator.Reconcile(record.Name);
        return TypedResults.Accepted($"/v1/deployments/{record.Name}", Answer(context, services, record));
    }

    internal static async Task<Ok<DeploymentList>> List([AsParameters] Services services, CancellationToken cancellationToken)
    {
        var stored = await services.Store.ListAsync(cancellationToken);
        return TypedResults.Ok(new DeploymentList([.. stored.Select(s => services.Describer.Describe(s.Record))]));
    }

    internal static async Task<Results<Ok<Deployment>, ProblemHttpResult>> Get(string name, HttpContext context, [AsParameters] Services services)
    {
        var stored = await services.Store.GetAsync(name, context.RequestAborted);
        return stored is null ? DeploymentResults.NotFound(name) : TypedResults.Ok(Answer(context, services, stored.Record));
    }

    internal static async Task<Results<Accepted<Deployment>, Ok<Deployment>, ValidationProblem, ProblemHttpResult>> Replace(
        string name, HttpContext context, [AsParameters] Services services)
    {
        var (request, errors) = await JsonBody.ReadAsync<DeploymentRequest>(context.Request, context.RequestAborted);
        errors ??= services.Validator.Validate(request!, nameInPath: name);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var outcome = await ChangeAsync(name, AuditActions.Update, context, services, current => current.Matches(request!) ? current : current with
        {
            Stable = request!.Stable!,
            Canary = request.Canary,
            CanaryWeight = request.Traffic?.Canary ?? 0,
            Access = GatewayPolicy.Normalize(request.Access),
            Limits = GatewayPolicy.Normalize(request.Limits),
        });
        if (outcome.Result is not null)
        {
            return (ProblemHttpResult)outcome.Result;
        }

        if (outcome.Record is null && context.Request.Headers.IfMatch.Count > 0)
        {
            return DeploymentResults.PreconditionFailed(name, "none (it does not exist)");
        }

        if (outcome.Record is null)
        {
            // PUT on a name that does not exist creates it.
            var created = NewRecord(request!, name, services.Time);
            try
            {
                await CreateAsync(created, context, services);
            }
            catch (QuotaExceededException quota)
            {
                return DeploymentResults.QuotaExceeded(quota);
            }
            catch (ConcurrencyException)
            {
                return DeploymentResults.Conflict($"Deployment '{name}' was created by another request meanwhile; read it and retry.");
            }

            services.Coordinator.Reconcile(name);
            return TypedResults.Accepted($"/v1/deployments/{name}", Answer(context, services, created));
        }

        return outcome.Changed
            ? TypedResults.Accepted($"/v1/deployments/{name}", Answer(context, services, outcome.Record))
            : TypedResults.Ok(Answer(context, services, outcome.Record));
    }

    internal static async Task<Results<Accepted<Deployment>, ProblemHttpResult>> Delete(
        string name, HttpContext context, [AsParameters] Services services)
    {
        var outcome = await ChangeAsync(name, AuditActions.Delete, context, services, current => current with { Deleting = true }, allowWhileDeleting: true);
        return outcome switch
        {
            { Result: ProblemHttpResult problem } => problem,
            { Record: null } => DeploymentResults.NotFound(name),
            _ => TypedResults.Accepted($"/v1/deployments/{name}", Answer(context, services, outcome.Record)),
        };
    }

    internal static async Task<Results<Accepted<Deployment>, Ok<Deployment>, ValidationProblem, ProblemHttpResult>> SetTraffic(
        string name, HttpContext context, [AsParameters] Services services)
    {
        var (traffic, errors) = await JsonBody.ReadAsync<TrafficRequest>(context.Request, context.RequestAborted);
        if (errors is not null)
        {
            return TypedResults.ValidationProblem(errors.ToDictionary(pair => pair.Key == "$" ? "$" : "traffic." + pair.Key, pair => pair.Value));
        }

        Dictionary<string, string[]>? invalid = null;
        var outcome = await ChangeAsync(name, AuditActions.Traffic, context, services, current =>
        {
            invalid = DeploymentValidator.ValidateTraffic(traffic!, current.Canary is not null);
            return invalid.Count > 0 || current.CanaryWeight == traffic!.Canary ? current : current with { CanaryWeight = traffic.Canary };
        });
        if (invalid is { Count: > 0 })
        {
            return TypedResults.ValidationProblem(invalid);
        }

        return Finish(name, context, services, outcome).Result switch
        {
            Accepted<Deployment> accepted => accepted,
            Ok<Deployment> ok => ok,
            ProblemHttpResult problem => problem,
            var other => throw new InvalidOperationException($"Unexpected result {other}."),
        };
    }

    internal static async Task<Results<Accepted<Deployment>, Ok<Deployment>, ProblemHttpResult>> Promote(
        string name, HttpContext context, [AsParameters] Services services)
    {
        var noCanary = false;
        var outcome = await ChangeAsync(name, AuditActions.Promote, context, services, current =>
        {
            noCanary = current.Canary is null;
            return noCanary ? current : current with { Stable = current.Canary!, Canary = null, CanaryWeight = 0 };
        });
        return noCanary
            ? DeploymentResults.Conflict($"Deployment '{name}' has no canary to promote.")
            : Finish(name, context, services, outcome);
    }

    internal static async Task<Results<Accepted<Deployment>, Ok<Deployment>, ProblemHttpResult>> Rollback(
        string name, HttpContext context, [AsParameters] Services services)
    {
        var noCanary = false;
        var outcome = await ChangeAsync(name, AuditActions.Rollback, context, services, current =>
        {
            noCanary = current.Canary is null;
            return noCanary ? current : current with { Canary = null, CanaryWeight = 0 };
        });
        return noCanary
            ? DeploymentResults.Conflict($"Deployment '{name}' has no canary to roll back.")
            : Finish(name, context, services, outcome);
    }

    internal static async Task<Results<ContentHttpResult, ValidationProblem, ProblemHttpResult>> Logs(
        string name, string? variant, int? replica, int? tail, [AsParameters] Services services, CancellationToken cancellationToken)
    {
        variant ??= VariantNames.Stable;
        if (variant is not (VariantNames.Stable or VariantNames.Canary) || replica < 0 || tail is < 1 or > 10_000)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["query"] = ["variant must be stable or canary, replica a non-negative ordinal, tail between 1 and 10000."],
            });
        }

        var stored = await services.Store.GetAsync(name, cancellationToken);
        var spec = variant == VariantNames.Stable ? stored?.Record.Stable : stored?.Record.Canary;
        if (stored is null || spec is null)
        {
            return DeploymentResults.NotFound(name);
        }

        string? text;
        try
        {
            text = await services.Provisioner.ReadLogAsync(Specs.ReplicaSetId(name, spec), replica ?? 0, tail ?? 200, cancellationToken);
        }
        catch (ProvisioningException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Logs unavailable", detail: ex.Message);
        }

        return text is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No logs", detail: $"Replica {replica ?? 0} of the {variant} variant of '{name}' has written no log.")
            : TypedResults.Text(text, "text/plain");
    }

    private static Results<Accepted<Deployment>, Ok<Deployment>, ProblemHttpResult> Finish(
        string name, HttpContext context, Services services, ChangeOutcome outcome) => outcome switch
        {
            { Result: ProblemHttpResult problem } => problem,
            { Record: null } => DeploymentResults.NotFound(name),
            { Changed: true } => TypedResults.Accepted($"/v1/deployments/{name}", Answer(context, services, outcome.Record)),
            _ => TypedResults.Ok(Answer(context, services, outcome.Record)),
        };

    /// <summary>The outcome of a read-check-write: the record after, whether it changed, or the refusal.</summary>
    private sealed record ChangeOutcome(DeploymentRecord? Record, bool Changed, IResult? Result);

    /// <summary>
    /// Applies <paramref name="change"/> under If-Match and the store's ETag; a change that alters the
    /// desired state bumps the revision, is recorded as <paramref name="action"/> in the audit trail
    /// (in the same transaction) and starts a workflow. Returning the record unchanged is a no-op,
    /// and records nothing.
    /// </summary>
    private static async Task<ChangeOutcome> ChangeAsync(
        string name, string action, HttpContext context, Services services, Func<DeploymentRecord, DeploymentRecord> change, bool allowWhileDeleting = false)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var stored = await services.Store.GetAsync(name, context.RequestAborted);
            if (stored is null)
            {
                return new ChangeOutcome(null, false, null);
            }

            var current = stored.Record;
            if (!DeploymentResults.IfMatchHolds(context.Request, current.Generation))
            {
                return new ChangeOutcome(current, false, DeploymentResults.PreconditionFailed(name, DeploymentResults.ETag(current.Generation)));
            }

            if (current.Deleting && !allowWhileDeleting)
            {
                return new ChangeOutcome(current, false, DeploymentResults.Conflict($"Deployment '{name}' is being deleted."));
            }

            var changed = change(current);
            if (ReferenceEquals(changed, current) || (changed.Deleting && current.Deleting))
            {
                if (current.Deleting)
                {
                    // A repeated DELETE also retries a delete that stalled.
                    services.Coordinator.Reconcile(name);
                }

                return new ChangeOutcome(current, changed.Deleting, null);
            }

            changed = changed with { Generation = current.Generation + 1, Failure = null };
            try
            {
                var entry = AuditDraft.For(action, AuditActor.Of(context), services.Time.GetUtcNow(), current, changed);
                await services.Audit.UpdateAsync(changed, stored.ETag, entry, context.RequestAborted);
            }
            catch (ConcurrencyException)
            {
                continue;
            }

            services.Coordinator.Reconcile(name);
            return new ChangeOutcome(changed, true, null);
        }

        return new ChangeOutcome(null, false, DeploymentResults.Conflict($"Deployment '{name}' is changing too fast to update; retry."));
    }

    /// <summary>Stores a new deployment with its audit entry, under the quota.</summary>
    private static Task<StoredDeployment> CreateAsync(DeploymentRecord record, HttpContext context, Services services) =>
        services.Audit.CreateAsync(
            record,
            AuditDraft.For(AuditActions.Create, AuditActor.Of(context), services.Time.GetUtcNow(), null, record),
            services.Options.Value.MaxDeployments,
            context.RequestAborted);

    private static DeploymentRecord NewRecord(DeploymentRequest request, string name, TimeProvider time) => new()
    {
        Name = name,
        Uid = Guid.NewGuid().ToString("N"),
        Stable = request.Stable!,
        Canary = request.Canary,
        CanaryWeight = request.Traffic?.Canary ?? 0,
        Access = GatewayPolicy.Normalize(request.Access),
        Limits = GatewayPolicy.Normalize(request.Limits),
        CreatedAt = time.GetUtcNow(),
    };

    private static Deployment Answer(HttpContext context, Services services, DeploymentRecord record)
    {
        context.Response.Headers.ETag = DeploymentResults.ETag(record.Generation);
        return services.Describer.Describe(record);
    }
}
