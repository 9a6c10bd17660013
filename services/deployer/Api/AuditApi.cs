using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Security;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Api;

/// <summary>The audit trail: one deployment's history, and every change with an operator's filters. Newest first, paged by cursor.</summary>
internal static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").WithTags("Audit").RequireAuthorization(Policies.Read);
        group.MapGet("/deployments/{name}/history", History).WithName("GetDeploymentHistory")
            .WithSummary("Every change of a deployment, newest first, with who, when, before and after, revision and outcome; kept after deletion.")
            .WithDescription($"Paged: limit (1-{AuditQuery.MaxLimit}, default {AuditQuery.DefaultLimit}) and after (the previous page's next).");
        group.MapGet("/audit", Trail).WithName("GetAuditTrail")
            .WithSummary("Every change of every deployment, newest first; filters deployment, actor, action, since (RFC 3339).")
            .WithDescription($"Paged: limit (1-{AuditQuery.MaxLimit}, default {AuditQuery.DefaultLimit}) and after (the previous page's next). Actions: {string.Join(", ", AuditActions.All)}.");
        return app;
    }

    internal static async Task<Results<Ok<AuditPage>, ValidationProblem, ProblemHttpResult>> History(
        string name, string? limit, string? after, IAuditLog audit, IDeploymentStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var query = new AuditQuery(Deployment: name, Limit: ReadLimit(limit, errors), After: ReadCursor(after, errors));
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var page = await audit.QueryAsync(query, cancellationToken);
        // No entry and no deployment: a name never used, rather than one whose history is empty.
        if (page.Items.Count == 0 && query.After is null && await store.GetAsync(name, cancellationToken) is null)
        {
            return DeploymentResults.NotFound(name);
        }

        return TypedResults.Ok(page);
    }

    internal static async Task<Results<Ok<AuditPage>, ValidationProblem>> Trail(
        string? deployment, string? actor, string? action, string? since, string? limit, string? after, IAuditLog audit,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (action is not null && !AuditActions.All.Contains(action, StringComparer.Ordinal))
        {
            errors["action"] = [$"must be one of {string.Join(", ", AuditActions.All)}."];
        }

        DateTimeOffset? from = null;
        if (since is not null)
        {
            if (DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                from = parsed;
            }
            else
            {
                errors["since"] = ["must be a date and time, e.g. 2025-01-31T12:00:00Z."];
            }
        }

        var query = new AuditQuery(deployment, actor, action, from, ReadCursor(after, errors), ReadLimit(limit, errors));
        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : TypedResults.Ok(await audit.QueryAsync(query, cancellationToken));
    }

    private static int ReadLimit(string? limit, Dictionary<string, string[]> errors)
    {
        if (limit is null)
        {
            return AuditQuery.DefaultLimit;
        }

        if (int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= 1 and <= AuditQuery.MaxLimit)
        {
            return value;
        }

        errors["limit"] = [$"must be a whole number from 1 to {AuditQuery.MaxLimit}."];
        return AuditQuery.DefaultLimit;
    }

    private static long? ReadCursor(string? after, Dictionary<string, string[]> errors)
    {
        if (after is null)
        {
            return null;
        }

        if (long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        errors["after"] = ["must be the 'next' value of a previous page."];
        return null;
    }
}
