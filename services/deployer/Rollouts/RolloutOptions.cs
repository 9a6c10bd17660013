using System.ComponentModel.DataAnnotations;

namespace ModelPlatform.Deployer.Rollouts;

/// <summary>How rollouts run, under <c>Deployer:Rollouts</c>.</summary>
public sealed class RolloutOptions
{
    public const string Section = "Deployer:Rollouts";

    /// <summary>How often a step's window is looked at (a durable timer each time). The default is 2 s, the gateways' report interval.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often deployments are looked at for a canary that became ready (a rollout to start) or a rollout whose workflow must be scheduled. The default is 1 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The least requests of each variant a step's window must hold before <c>latencyP99Ratio</c>
    /// judges (default 500). The 99th percentile of n requests is decided by its n/100 slowest: over
    /// 100 that is one request, and one pause or slow first request of a fresh replica rolled a healthy
    /// canary back (bench/rollout, 101 canary requests); over 500 it takes five.
    /// </summary>
    [Range(1, 1_000_000)]
    public long LatencyP99MinRequests { get; set; } = 500;
}
