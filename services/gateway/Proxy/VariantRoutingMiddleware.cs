using System.Diagnostics;
using Microsoft.Extensions.Options;
using ModelPlatform.Gateway.Configuration;
using ModelPlatform.Gateway.LoadBalancing;
using ModelPlatform.Gateway.Routing;
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
        var header = context.Request.Headers[VariantHeaders.Name].ToString();
        var pinned = header.Length == 0 ? string.Empty : VariantHeaders.Normalize(header);
        if (pinned is null)
        {
            await GatewayProblems.WriteAsync(context, StatusCodes.Status400BadRequest, "Unknown variant",
                $"{VariantHeaders.Name} must be '{Contracts.VariantNames.Stable}' or '{Contracts.VariantNames.Canary}', not '{Truncate(header)}'.");
            metrics.Record(model, string.Empty, StatusCodes.Status400BadRequest, Stopwatch.GetElapsedTime(started));
            return;
        }

        // The pin is the gateway's business, not the model's.
        context.Request.Headers.Remove(VariantHeaders.Name);
        if (pinned.Length > 0)
        {
            proxy.AvailableDestinations = [.. proxy.AvailableDestinations.Where(d => VariantMetadata.VariantOf(d) == pinned)];
        }

        if (proxy.AvailableDestinations.Count == 0)
        {
            var detail = pinned.Length > 0
                ? $"Model '{model}' has no healthy replica of variant '{pinned}'."
                : $"Model '{model}' has no healthy replica.";
            await GatewayProblems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "No healthy replica", detail);
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
    /// A replica that dies (a moment ago, before health checks noticed) is not the client's problem:
    /// the request goes to another healthy replica, up to <see cref="GatewayOptions.MaxAttempts"/>
    /// tries, while passive health marks the dead one. A failure to connect is always retried:
    /// nothing reached the model. A connection lost before the answer is retried only when running
    /// the request twice is harmless: GET and HEAD, and Open Inference Protocol calls, which compute
    /// a function of their input (routes marked <see cref="ProxyConfigBuilder.IdempotentRoute"/>).
    /// The body of those is buffered (in memory up to 1 MiB) so it can be sent again.
    /// </summary>
    private static async Task ForwardWithRetryAsync(HttpContext context, IReverseProxyFeature proxy, Func<Task> next)
    {
        var maxAttempts = context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.MaxAttempts;
        var idempotent = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) ||
            proxy.Route.Config.Metadata?.ContainsKey(ProxyConfigBuilder.IdempotentRoute) == true;
        if (maxAttempts > 1 && idempotent)
        {
            context.Request.EnableBuffering(bufferThreshold: 1024 * 1024);
        }

        // Load balancing narrows AvailableDestinations to its pick, so remember the full set.
        var candidates = maxAttempts > 1 ? proxy.AvailableDestinations.ToList() : null;
        for (var attempt = 1; ; attempt++)
        {
            await next();
            if (candidates is null || attempt >= maxAttempts || context.Response.HasStarted ||
                context.Features.Get<IForwarderErrorFeature>() is not { Error: ForwarderError.Request, Exception: var error } ||
                !(idempotent || IsConnectionFailure(error)) ||
                proxy.ProxiedDestination is not { } failed)
            {
                return;
            }

            candidates.Remove(failed);
            if (candidates.Count == 0 || (context.Request.Body.CanSeek is false && idempotent))
            {
                return;
            }

            if (context.Request.Body.CanSeek)
            {
                context.Request.Body.Position = 0;
            }

            proxy.AvailableDestinations = candidates.ToList();
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Response.Clear();
        }
    }

    private static bool IsConnectionFailure(Exception? error) =>
        error is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } ||
        error?.InnerException is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError };

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
