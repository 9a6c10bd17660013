using System.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using ModelPlatform.Gateway.Configuration;
using ModelPlatform.Gateway.LoadBalancing;
using ModelPlatform.Gateway.Telemetry;
using Yarp.ReverseProxy.Forwarder;
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
            await ForwardWithRetryAsync(context, proxy, next);
        }
        finally
        {
            var variant = proxy.ProxiedDestination is { } served ? VariantMetadata.VariantOf(served) : pinned;
            metrics.Record(model, variant, context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>
    /// A replica that refuses the connection (it died a moment ago, before health checks noticed)
    /// is not the client's problem: the request goes to another healthy replica, up to
    /// <see cref="GatewayOptions.MaxAttempts"/> tries. Passive health marks the failed one meanwhile.
    /// Only failures before any response byte reached the client are retried.
    /// </summary>
    private static async Task ForwardWithRetryAsync(HttpContext context, IReverseProxyFeature proxy, Func<Task> next)
    {
        var maxAttempts = context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.MaxAttempts;
        if (maxAttempts > 1)
        {
            context.Request.EnableBuffering();
        }

        // Load balancing narrows AvailableDestinations to its pick, so remember the full set.
        var candidates = proxy.AvailableDestinations.ToList();
        for (var attempt = 1; ; attempt++)
        {
            await next();
            if (attempt >= maxAttempts || context.Response.HasStarted ||
                context.Features.Get<IForwarderErrorFeature>() is not { Error: ForwarderError.Request } ||
                proxy.ProxiedDestination is not { } failed)
            {
                return;
            }

            candidates.Remove(failed);
            if (candidates.Count == 0)
            {
                return;
            }

            proxy.AvailableDestinations = candidates.ToList();
            context.Request.Body.Position = 0;
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Response.StatusCode = StatusCodes.Status200OK;
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
