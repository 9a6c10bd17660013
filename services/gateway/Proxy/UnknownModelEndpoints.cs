namespace ModelPlatform.Gateway.Proxy;

/// <summary>
/// Model paths that no route claims: the model does not exist (or has no published route yet).
/// Each model's own routes are literal paths, so they always win over these.
/// </summary>
internal static class UnknownModelEndpoints
{
    public static IEndpointRouteBuilder MapUnknownModels(this IEndpointRouteBuilder app)
    {
        app.Map("/v2/models/{name}/{**rest}", NotFoundAsync).ExcludeFromDescription();
        app.Map("/models/{name}/{**rest}", NotFoundAsync).ExcludeFromDescription();
        return app;
    }

    private static Task NotFoundAsync(HttpContext context, string name, GatewayErrors errors)
    {
        // "Is this model ready?" of a model that does not exist: false, as a 4xx without a body.
        if (GatewayErrors.IsV2Readiness(context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return errors.WriteAsync(context, StatusCodes.Status404NotFound, "Unknown model", $"No model named '{name}' is deployed.");
    }
}
