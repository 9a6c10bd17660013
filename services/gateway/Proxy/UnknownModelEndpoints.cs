using Microsoft.AspNetCore.Http.HttpResults;

namespace ModelPlatform.Gateway.Proxy;

/// <summary>
/// Model paths that no route claims: the model does not exist (or has no published route yet).
/// Each model's own routes are literal paths, so they always win over these.
/// </summary>
internal static class UnknownModelEndpoints
{
    public static IEndpointRouteBuilder MapUnknownModels(this IEndpointRouteBuilder app)
    {
        app.Map("/v2/models/{name}/{**rest}", NotFound).ExcludeFromDescription();
        app.Map("/models/{name}/{**rest}", NotFound).ExcludeFromDescription();
        return app;
    }

    private static ProblemHttpResult NotFound(string name) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown model", detail: $"No model named '{name}' is deployed.");
}
