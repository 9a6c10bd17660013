using Microsoft.AspNetCore.Diagnostics;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.Proxy;

/// <summary>
/// Bodies for the errors ASP.NET Core answers without one outside the proxy (a path nothing maps:
/// 404; a method a path does not take: 405): <c>{"error": "..."}</c> on <c>/v2</c>, problem details
/// elsewhere. Proxied requests never pass through here, so the hot path pays nothing for it.
/// </summary>
internal static class StatusCodeBodies
{
    public static IApplicationBuilder UseStatusCodeBodies(this IApplicationBuilder app) =>
        app.UseWhen(
            static context => context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>() is null,
            static branch => branch.UseStatusCodePages(WriteAsync));

    private static Task WriteAsync(StatusCodeContext status)
    {
        var context = status.HttpContext;
        if (GatewayErrors.IsV2Readiness(context.Request))
        {
            return Task.CompletedTask;
        }

        var code = context.Response.StatusCode;
        var (title, detail) = code switch
        {
            StatusCodes.Status404NotFound => ("Not found", $"Nothing is served at {context.Request.Path}."),
            StatusCodes.Status405MethodNotAllowed => ("Method not allowed", $"{context.Request.Method} is not allowed on {context.Request.Path}."),
            _ => (ReasonPhrase(code), ReasonPhrase(code) + "."),
        };
        return context.RequestServices.GetRequiredService<GatewayErrors>().WriteAsync(context, code, title, detail);
    }

    private static string ReasonPhrase(int code) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(code) is { Length: > 0 } phrase ? phrase : $"HTTP {code}";
}
