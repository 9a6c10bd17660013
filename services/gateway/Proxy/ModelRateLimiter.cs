using System.Threading.RateLimiting;
using ModelPlatform.Contracts;

namespace ModelPlatform.Gateway.Proxy;

/// <summary>
/// One token bucket per model and client. The limits are part of the partition, so a changed limit
/// takes effect with the next route table; idle buckets are dropped by the limiter.
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

    public RateLimitLease AttemptAcquire(string model, RateLimitSpec limits, string client) =>
        _limiter.AttemptAcquire(new Caller(model, limits, client));

    public void Dispose() => _limiter.Dispose();

    /// <summary>A bucket's identity: the model, its limits as configured now, and the client.</summary>
    private readonly record struct Caller(string Model, RateLimitSpec Limits, string Client);
}
