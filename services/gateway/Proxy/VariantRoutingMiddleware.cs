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
/// The last step before load balancing: honour <c>x-model-variant</c> pinning, answer 503 when no
/// healthy replica is left (of the model, or of the pinned variant), stamp the response with the
/// variant that served it, give the proxy's own failures (502, 504, 413) an error body, and record
/// the request's metrics.
/// </summary>
internal sealed class VariantRoutingMiddleware(RequestDelegate next, GatewayMetrics metrics, IOptions<GatewayOptions> options, GatewayErrors errors)
{
    private readonly int _maxAttempts = options.Value.MaxAttempts;

    // The checks run synchronously and the forwarding is one async method, so a forwarded request
    // costs one state machine here, and no closure: the pin's filter is a method of its own.
    public Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var proxy = context.GetReverseProxyFeature();
        var model = VariantMetadata.ModelOf(proxy);
        var header = context.Request.Headers[VariantHeaders.Name].ToString();
        var pinned = header.Length == 0 ? string.Empty : VariantHeaders.Normalize(header);
        if (pinned is null)
        {
            return UnknownVariantAsync(context, model, header, started);
        }

        // The pin is the gateway's business, not the model's.
        context.Request.Headers.Remove(VariantHeaders.Name);
        if (pinned.Length > 0)
        {
            proxy.AvailableDestinations = OfVariant(proxy.AvailableDestinations, pinned);
        }

        if (proxy.AvailableDestinations.Count == 0)
        {
            return NoHealthyReplicaAsync(context, model, pinned, started);
        }

        context.Response.OnStarting(StampVariant, context);
        return ForwardAsync(context, proxy, model, pinned, started);
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
    private async Task ForwardAsync(HttpContext context, IReverseProxyFeature proxy, string model, string pinned, long started)
    {
        try
        {
            var maxAttempts = _maxAttempts;
            var idempotent = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) ||
                proxy.Route.Config.Metadata?.ContainsKey(ProxyConfigBuilder.IdempotentRoute) == true;
            if (maxAttempts > 1 && idempotent)
            {
                context.Request.EnableBuffering(bufferThreshold: 1024 * 1024);
            }

            // Load balancing narrows AvailableDestinations to its pick, so remember the full set; the
            // list to retry from is made only when a retry happens, not on every request.
            var available = proxy.AvailableDestinations;
            List<DestinationState>? candidates = null;
            for (var attempt = 1; ; attempt++)
            {
                await next(context);
                if (attempt >= maxAttempts || context.Response.HasStarted ||
                    context.Features.Get<IForwarderErrorFeature>() is not { Error: ForwarderError.Request, Exception: var error } ||
                    !(idempotent || IsConnectionFailure(error)) ||
                    proxy.ProxiedDestination is not { } failed)
                {
                    break;
                }

                candidates ??= [.. available];
                candidates.Remove(failed);
                if (candidates.Count == 0 || (context.Request.Body.CanSeek is false && idempotent))
                {
                    break;
                }

                if (context.Request.Body.CanSeek)
                {
                    context.Request.Body.Position = 0;
                }

                proxy.AvailableDestinations = candidates.ToList();
                context.Features.Set<IForwarderErrorFeature>(null);
                context.Response.Clear();
            }

            if (context.Features.Get<IForwarderErrorFeature>() is { } failure && !context.Response.HasStarted)
            {
                await ProxyFailedAsync(context, model, failure.Error);
            }
        }
        finally
        {
            var variant = proxy.ProxiedDestination is { } served ? VariantMetadata.VariantOf(served) : pinned;
            var status = Grpc.GrpcStatusCodes.EffectiveStatus(context);
            var outcome = RequestOutcomes.Of(status, context.Features.Get<IForwarderErrorFeature>()?.Error);
            metrics.Record(model, variant, status, outcome, Stopwatch.GetElapsedTime(started));
        }
    }

    private async Task UnknownVariantAsync(HttpContext context, string model, string header, long started)
    {
        await errors.WriteAsync(context, StatusCodes.Status400BadRequest, "Unknown variant",
            $"{VariantHeaders.Name} must be '{Contracts.VariantNames.Stable}' or '{Contracts.VariantNames.Canary}', not '{Truncate(header)}'.");
        metrics.Record(model, string.Empty, StatusCodes.Status400BadRequest, RequestOutcome.ClientError, Stopwatch.GetElapsedTime(started));
    }

    private static DestinationState[] OfVariant(IReadOnlyList<DestinationState> destinations, string variant) =>
        [.. destinations.Where(d => VariantMetadata.VariantOf(d) == variant)];

    private static Task StampVariant(object state)
    {
        var context = (HttpContext)state;
        if (context.GetReverseProxyFeature().ProxiedDestination is { } destination)
        {
            context.Response.Headers[VariantHeaders.Name] = VariantMetadata.VariantOf(destination);
        }

        return Task.CompletedTask;
    }

    private async Task NoHealthyReplicaAsync(HttpContext context, string model, string pinned, long started)
    {
        // "Is the model ready?" answered "no", as the protocol's health API does: a 4xx without a body.
        if (GatewayErrors.IsV2Readiness(context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
        }
        else
        {
            var detail = pinned.Length > 0
                ? $"Model '{model}' has no healthy replica of variant '{pinned}'."
                : $"Model '{model}' has no healthy replica.";
            await errors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "No healthy replica", detail);
        }

        var status = Grpc.GrpcStatusCodes.EffectiveStatus(context);
        metrics.Record(model, pinned, status, RequestOutcomes.Of(status, error: null), Stopwatch.GetElapsedTime(started));
    }

    /// <summary>YARP sets a status for its own failures but writes no body: give it the path's error body.</summary>
    private Task ProxyFailedAsync(HttpContext context, string model, ForwarderError error)
    {
        var status = context.Response.StatusCode;
        if (status < StatusCodes.Status400BadRequest)
        {
            return Task.CompletedTask;
        }

        // A replica that cannot say whether the model is ready: not ready, a 4xx without a body.
        if (GatewayErrors.IsV2Readiness(context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return Task.CompletedTask;
        }

        var (title, detail) = status switch
        {
            StatusCodes.Status413PayloadTooLarge => ("Request body too large", "The request body is larger than the gateway accepts."),
            StatusCodes.Status504GatewayTimeout => ("Model timed out", $"Model '{model}' did not answer in time."),
            _ when error is ForwarderError.RequestBodyClient or ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled =>
                ("Bad request", "The request body could not be read."),
            _ => ("Model unavailable", $"Model '{model}' could not be reached or broke off its answer."),
        };
        return errors.WriteAsync(context, status, title, detail);
    }

    private static bool IsConnectionFailure(Exception? error) =>
        error is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } ||
        error?.InnerException is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError };

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
