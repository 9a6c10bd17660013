namespace ModelPlatform.Gateway.Telemetry;

/// <summary>The meters the gateway exports: its own, and those <see cref="TelemetryOptions.Meters"/> adds.</summary>
internal static class ExportedMeters
{
    /// <summary>
    /// Read from configuration while the host is built, before options exist: the meter provider is
    /// set up then. The same setting is validated on start through <see cref="TelemetryOptions"/>.
    /// </summary>
    public static string[] Of(IConfiguration configuration) =>
        [GatewayMetrics.MeterName, .. configuration.GetSection($"{TelemetryOptions.Section}:{nameof(TelemetryOptions.Meters)}").Get<string[]>() ?? []];
}
