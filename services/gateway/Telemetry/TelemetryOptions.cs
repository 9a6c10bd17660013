using System.ComponentModel.DataAnnotations;

namespace ModelPlatform.Gateway.Telemetry;

/// <summary>
/// How the gateway hands its per-variant counts to the deployer, under <c>Gateway:Telemetry</c>.
/// A deployer that reads Prometheus instead says so, and the gateway stops reporting.
/// </summary>
public sealed class TelemetryOptions
{
    public const string Section = "Gateway:Telemetry";

    /// <summary>Whether to report to the deployer at all. The default is true.</summary>
    public bool ReportToDeployer { get; set; } = true;

    /// <summary>
    /// How often the counts are reported. The deployer forgets a gateway that has not reported for its
    /// <c>Deployer:Telemetry:ReportExpiry</c>, so keep this well under that. The default is 2 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(2);
}
