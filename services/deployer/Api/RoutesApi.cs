using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Routing;
using ModelPlatform.Deployer.Security;

namespace ModelPlatform.Deployer.Api;

/// <summary><c>GET /v1/routes</c>: the table gateways route by, with a long-poll watch.</summary>
internal static class RoutesApi
{
    public static IEndpointRouteBuilder MapRoutesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/routes", GetRoutes)
            .WithTags("Routes")
            .WithName("GetRoutes")
            .WithSummary("The route table. With watch=true&after=N, waits until its version passes N (or the watch timeout ends).")
            .RequireAuthorization(Policies.Read);
        return app;
    }

    internal static async Task<Results<Ok<RouteTable>, ValidationProblem>> GetRoutes(
        bool? watch, long? after, RouteTableService routes, IOptions<DeployerOptions> options, IHostApplicationLifetime lifetime,
        CancellationToken cancellationToken)
    {
        if (watch != true)
        {
            return TypedResults.Ok(routes.Current);
        }

        if (after is null or < 0)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["after"] = ["is required with watch=true: the version the caller has."] });
        }

        // A watch ends with the deployer's shutdown (answering the current table), not with its budget.
        using var watchEnds = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        try
        {
            return TypedResults.Ok(await routes.WaitForChangeAsync(after.Value, options.Value.WatchTimeout, watchEnds.Token));
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return TypedResults.Ok(routes.Current);
        }
    }
}
