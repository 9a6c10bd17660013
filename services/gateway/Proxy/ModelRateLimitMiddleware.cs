using System.Globalization;
using System.Threading.RateLimiting;
using ModelPlatform.Gateway.LoadBalancing;
using ModelPlatform.Gateway.Routing;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.Proxy;

/// <summary>
/// The per-model rate limit of the deployment's <c>limits</c>, per client (the API key's name, or
/// the client address for an open model). Past it, 429 with Retry-After.
/// </summary>
internal sealed class ModelRateLimitMiddleware(RequestDelegate next, RouteTableState routes, ModelRateLimiter limiter, GatewayErrors errors)
{
    public Task InvokeAsync(HttpContext context)
    {
        var model = VariantMetadata.ModelOf(context.GetReverseProxyFeature());
        if (routes.PolicyOf(model)?.Limits is not { } limits)
        {
            return next(context);
        }

        var client = context.Items[ModelAccessMiddleware.KeyNameItem] is string key
            ? "key:" + key
            : "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        using var lease = limiter.AttemptAcquire(model, limits, client);
        if (lease.IsAcquired)
        {
            return next(context);
        }

        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return errors.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too many requests",
            $"Model '{model}' allows {limits.RequestsPerSecond} requests a second per client (bursts of {limits.Burst}); retry after {seconds} s.");
    }
}
