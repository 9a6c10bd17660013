using System.ComponentModel.DataAnnotations;

namespace ModelPlatform.Deployer.Telemetry;

/// <summary>Where Prometheus is and which of its series are the gateways', under <c>Deployer:Telemetry:Prometheus</c>.</summary>
public sealed class PrometheusTelemetryOptions
{
    /// <summary>Prometheus's base URL (its HTTP API is under <c>/api/v1</c>), e.g. <c>http://prometheus.monitoring:9090</c>.</summary>
    public string? Url { get; set; }

    /// <summary>
    /// Label matchers added to every query, to pick the gateways' series when other jobs export the
    /// same names, e.g. <c>job="gateway",namespace="model-platform"</c>. None by default.
    /// </summary>
    public string? Selector { get; set; }

    /// <summary>How long one query may take. The default is 10 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
