using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.Security;

/// <summary>
/// Counts invalid tokens per client address in one-minute windows. Past the limit, the address's
/// further invalid tokens are answered 429 without a log line each; a valid token is never refused.
/// </summary>
/// <remarks>
/// The limit does not protect the tokens: they are random 256-bit secrets, which no rate of guessing
/// finds. What it bounds is the cost of a flood of bad tokens (one warning per attempt, a 401 body)
/// and it tells a misconfigured client to back off. Refusing valid tokens too would add nothing to
/// the tokens' safety and would let anyone who shares an address with a legitimate caller (a Dapr
/// sidecar, a NAT, a proxy) lock that caller out by sending garbage, so a presented token is always
/// checked first: checking one costs a SHA-256 and a few constant-time comparisons, less than the
/// answer itself.
/// </remarks>
internal sealed class FailedAuthLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public FailedAuthLimiter(IOptions<DeployerOptions> options)
    {
        var permits = options.Value.Auth.FailedAttemptsPerMinute;
        _limiter = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = Window,
            QueueLimit = 0,
        }));
    }

    public static TimeSpan Window { get; } = TimeSpan.FromMinutes(1);

    /// <summary>Records an invalid token from the address; false once the address is over its limit for this window.</summary>
    public bool TryRecordFailure(string address)
    {
        using var lease = _limiter.AttemptAcquire(address);
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
