using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Rollouts;

/// <summary>A real deployer whose rollouts look at their windows often and whose telemetry windows may be as short as a second.</summary>
public sealed class RolloutDeployerFixture : DeployerHarness, IAsyncLifetime
{
    protected override Dictionary<string, string> Settings() => new()
    {
        ["Deployer__Rollouts__CheckInterval"] = "00:00:00.300",
        ["Deployer__Rollouts__SweepInterval"] = "00:00:00.300",
        // These tests judge steps over tens of requests; the p99 gate's own minimum (100 of each
        // variant, tested in StepJudgementTests) would only make them wait longer.
        ["Deployer__Rollouts__LatencyP99MinRequests"] = "1",
        ["Deployer__Telemetry__MinWindow"] = "00:00:01",
    };
}
