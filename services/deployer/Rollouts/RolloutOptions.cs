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
    /// judges (default 100): over fewer, the 99th percentile is the slowest request, and one slow
    /// first request of a fresh replica would roll a healthy canary back.
    /// </summary>
    [Range(1, 1_000_000)]
    public long LatencyP99MinRequests { get; set; } = 100;
}
