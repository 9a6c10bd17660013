using System.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using ModelPlatform.Gateway.LoadBalancing;
using ModelPlatform.Gateway.Telemetry;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.Proxy;

/// <summary>
/// The first step of every proxied request: honour <c>x-model-variant</c> pinning, answer 503
/// problem details when no healthy replica is left (of the model, or of the pinned variant), stamp
/// the response with the variant that served it, and record the request's metrics.
/// </summary>
internal static class VariantRoutingMiddleware
{
    public static async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var started = Stopwatch.GetTimestamp();
        var proxy = context.GetReverseProxyFeature();
        var model = proxy.Route.Config.Metadata?.GetValueOrDefault(VariantMetadata.Model) ?? string.Empty;
        var metrics = context.RequestServices.GetRequiredService<GatewayMetrics>();
        var pinned = context.Request.Headers[VariantHeaders.Name].ToString();

        if (pinned.Length > 0)
        {
            proxy.AvailableDestinations = [.. proxy.AvailableDestinations.Where(d => VariantMetadata.VariantOf(d) == pinned)];
        }

        if (proxy.AvailableDestinations.Count == 0)
        {
            var detail = pinned.Length > 0
                ? $"Model '{model}' has no healthy replica of variant '{pinned}'."
                : $"Model '{model}' has no healthy replica.";
            await WriteUnavailableAsync(context, detail);
            metrics.Record(model, pinned, StatusCodes.Status503ServiceUnavailable, Stopwatch.GetElapsedTime(started));
            return;
        }

        context.Response.OnStarting(() =>
        {
            if (context.GetReverseProxyFeature().ProxiedDestination is { } destination)
            {
                context.Response.Headers[VariantHeaders.Name] = VariantMetadata.VariantOf(destination);
            }

            return Task.CompletedTask;
        });

        try
        {
            await next();
        }
        finally
        {
            var variant = proxy.ProxiedDestination is { } served ? VariantMetadata.VariantOf(served) : pinned;
            metrics.Record(model, variant, context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
        }
    }

    private static Task WriteUnavailableAsync(HttpContext context, string detail)
    {
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "No healthy replica",
                Detail = detail,
            },
        }).AsTask();
    }
}
