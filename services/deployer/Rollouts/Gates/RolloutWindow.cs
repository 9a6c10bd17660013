using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Telemetry;

namespace ModelPlatform.Deployer.Rollouts.Gates;

/// <summary>
/// A step's window: the deployment, how far back it reaches from now, the per-variant telemetry read
/// over it once for every gate, and the least samples a gate over another source needs before it
/// judges (the policy's minimum canary requests).
/// </summary>
internal sealed record RolloutWindow(string Deployment, TimeSpan Length, TelemetryReading Telemetry, long MinSamples = 0)
{
    /// <summary>A variant's figures over the window; zero requests when it served none.</summary>
    public VariantMetrics Variant(string name) =>
        Telemetry.Variants.FirstOrDefault(variant => variant.Variant == name) ?? new VariantMetrics(name, 0, 0, 0, 0, 0, 0, 0, null, 0);
}
