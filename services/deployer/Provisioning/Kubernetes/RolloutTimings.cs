using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.Provisioning.Kubernetes;

/// <summary>
/// The three clocks of a rollout, in the order they must run out: the startupProbe's budget (a
/// container still loading is restarted), the Deployment's progress deadline (the controller reports
/// the rollout failed, with its reason), and the deployer's ReadyTimeout (the deployer gives up). A
/// later clock that runs out first hides the earlier one's reason.
/// </summary>
internal static class RolloutTimings
{
    /// <summary>The progress deadline as set, else 90% of ReadyTimeout.</summary>
    public static int ProgressDeadlineSeconds(DeployerOptions options) =>
        options.Kubernetes.ProgressDeadlineSeconds ?? Math.Max(1, (int)(options.ReadyTimeout.TotalSeconds * 0.9));

    /// <summary>The startup budget as set, else the progress deadline.</summary>
    public static int StartupTimeoutSeconds(DeployerOptions options) =>
        options.Kubernetes.StartupTimeoutSeconds ?? ProgressDeadlineSeconds(options);
}
