namespace ModelPlatform.Deployer.Telemetry;

/// <summary>Where the deployer learns how each variant serves.</summary>
public enum TelemetrySource
{
    /// <summary>Gateways report their counts to the deployer, which keeps recent windows in memory.</summary>
    Embedded,

    /// <summary>The deployer queries Prometheus, which scrapes the gateways' <c>/metrics</c>.</summary>
    Prometheus,
}
