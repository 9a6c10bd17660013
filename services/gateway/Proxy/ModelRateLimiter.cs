using System.Globalization;
using System.Threading.RateLimiting;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.LoadBalancing;
using ModelPlatform.Gateway.Routing;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.Proxy;

/// <summary>
/// The per-model rate limit of the deployment's <c>limits</c>: one token bucket per model and client
/// (the API key's name, or the client address for an open model). Past it, 429 problem details with
/// Retry-After. The limits are part of the partition, so a changed limit takes effect with the next
/// route table; idle buckets are dropped by the limiter.
/// </summary>
internal sealed class ModelRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<Caller> _limiter = PartitionedRateLimiter.Create<Caller, Caller>(caller =>
        RateLimitPartition.GetTokenBucketLimiter(caller, key => new TokenBucketRateLimiterOptions
        {
            TokenLimit = key.Limits.Burst,
            TokensPerPeriod = key.Limits.RequestsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    public void Dispose() => _limiter.Dispose();

    public static async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var model = context.GetReverseProxyFeature().Route.Config.Metadata?.GetValueOrDefault(VariantMetadata.Model) ?? string.Empty;
        if (context.RequestServices.GetRequiredService<RouteTableState>().PolicyOf(model)?.Limits is not { } limits)
        {
            await next();
            return;
        }

        var client = context.Items[ModelAccessMiddleware.KeyNameItem] is string key
            ? "key:" + key
            : "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        using var lease = context.RequestServices.GetRequiredService<ModelRateLimiter>()._limiter.AttemptAcquire(new Caller(model, limits, client));
        if (!lease.IsAcquired)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await GatewayProblems.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too many requests",
                $"Model '{model}' allows {limits.RequestsPerSecond} requests a second per client (bursts of {limits.Burst}); retry after {seconds} s.");
            return;
        }

        await next();
    }

    /// <summary>A bucket's identity: the model, its limits as configured now, and the client.</summary>
    private readonly record struct Caller(string Model, RateLimitSpec Limits, string Client);
}
