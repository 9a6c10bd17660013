using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace ModelPlatform.Gateway.Telemetry;

/// <summary>
/// How the gateway hands its per-variant counts to the deployer, and which meters besides its own it
/// exports, under <c>Gateway:Telemetry</c>. A deployer that reads Prometheus instead says so, and the
/// gateway stops reporting.
/// </summary>
public sealed partial class TelemetryOptions : IValidatableObject
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

    /// <summary>
    /// Meters exported besides the gateway's own and the runtime's, by name, <c>*</c> standing for any
    /// characters: <c>Microsoft.AspNetCore.*</c> for ASP.NET Core's (<c>http.server.request.duration</c>,
    /// Kestrel's connections, routing), <c>System.Net.Http</c> for the forwarded calls as HTTP client calls.
    /// None by default: each records every request again, at a cost <c>bench/gateway.sh</c> measures.
    /// </summary>
    public IList<string> Meters { get; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var meter in Meters)
        {
            if (!MeterName().IsMatch(meter))
            {
                yield return new ValidationResult(
                    $"{Section}:{nameof(Meters)} holds '{meter}', which is not a meter name: letters, digits, '.', '_', '-' and the wildcard '*' only.",
                    [nameof(Meters)]);
            }
        }
    }

    // What OpenTelemetry's AddMeter accepts.
    [GeneratedRegex(@"^[A-Za-z0-9_.*-]+$")]
    private static partial Regex MeterName();
}
