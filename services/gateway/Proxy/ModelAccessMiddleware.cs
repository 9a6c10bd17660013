using Microsoft.Net.Http.Headers;
using ModelPlatform.Gateway.LoadBalancing;
using ModelPlatform.Gateway.Routing;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.Proxy;

/// <summary>
/// A model deployed with API keys answers only callers that present one, as
/// <c>Authorization: Bearer &lt;key&gt;</c> or <c>x-api-key</c>: without a matching key, 401 with
/// <c>WWW-Authenticate: Bearer</c>. The key is the gateway's business: both headers are removed
/// before the request goes on to the model. A model without keys is open and untouched.
/// </summary>
internal sealed class ModelAccessMiddleware(RequestDelegate next, RouteTableState routes, GatewayErrors errors)
{
    public const string ApiKeyHeader = "x-api-key";

    /// <summary><see cref="HttpContext.Items"/> key of the name of the key the caller presented.</summary>
    public const string KeyNameItem = "modelplatform.apiKeyName";

    private const string BearerPrefix = "Bearer ";

    public Task InvokeAsync(HttpContext context)
    {
        var model = VariantMetadata.ModelOf(context.GetReverseProxyFeature());
        if (routes.PolicyOf(model) is not { RequiresKey: true } policy)
        {
            return next(context);
        }

        var presented = Presented(context.Request);
        var name = presented is null ? null : policy.FindKey(presented);
        if (name is null)
        {
            context.Response.Headers.WWWAuthenticate = presented is null ? "Bearer" : "Bearer error=\"invalid_token\"";
            return errors.WriteAsync(context, StatusCodes.Status401Unauthorized, "API key required", presented is null
                ? $"Model '{model}' needs an API key: send 'Authorization: Bearer <key>' or '{ApiKeyHeader}: <key>'."
                : $"The API key is not one of model '{model}''s keys.");
        }

        context.Request.Headers.Remove(ApiKeyHeader);
        context.Request.Headers.Remove(HeaderNames.Authorization);
        context.Items[KeyNameItem] = name;
        return next(context);
    }

    private static string? Presented(HttpRequest request)
    {
        var apiKey = request.Headers[ApiKeyHeader].ToString();
        if (apiKey.Length > 0)
        {
            return apiKey.Trim();
        }

        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) && authorization.Length > BearerPrefix.Length
            ? authorization[BearerPrefix.Length..].Trim()
            : null;
    }
}
