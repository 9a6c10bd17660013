namespace ModelPlatform.Deployer.Telemetry;

/// <summary>The telemetry source (Prometheus) could not be read or answered something unusable.</summary>
public sealed class TelemetryUnavailableException : Exception
{
    public TelemetryUnavailableException()
    {
    }

    public TelemetryUnavailableException(string message)
        : base(message)
    {
    }

    public TelemetryUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
