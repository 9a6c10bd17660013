using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.Security;

/// <summary>
/// Counts invalid tokens per client address in one-minute windows; past the limit, the address is
/// refused (even with a good token) until its window ends, so tokens cannot be guessed at speed.
/// </summary>
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

    /// <summary>Whether the address has used up its failures for this window.</summary>
    public bool IsBlocked(string address) => _limiter.GetStatistics(address)?.CurrentAvailablePermits == 0;

    public void RecordFailure(string address)
    {
        using var lease = _limiter.AttemptAcquire(address);
    }

    public void Dispose() => _limiter.Dispose();
}
