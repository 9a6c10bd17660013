using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace ModelPlatform.Deployer.Tests.Manifests;

/// <summary>The Dapr kinds under <c>components/</c>, typed after the fields Dapr reads, so the tests check those.</summary>
public abstract class DaprResource<TSpec> : IKubernetesObject<V1ObjectMeta>
    where TSpec : new()
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = string.Empty;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = string.Empty;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public TSpec Spec { get; set; } = new();
}

public sealed class DaprComponent : DaprResource<DaprComponentSpec>
{
    [JsonPropertyName("scopes")]
    public List<string> Scopes { get; set; } = [];
}

public sealed class DaprComponentSpec
{
    [JsonPropertyName("type")]
    public string Type { get; set; } = string.Empty;

    [JsonPropertyName("version")]
    public string Version { get; set; } = string.Empty;

    [JsonPropertyName("metadata")]
    public List<DaprMetadataItem> Metadata { get; set; } = [];
}

public sealed class DaprMetadataItem
{
    [JsonPropertyName("name")]
    public string Name { get; set; } = string.Empty;

    [JsonPropertyName("value")]
    public string? Value { get; set; }

    [JsonPropertyName("secretKeyRef")]
    public V1SecretKeySelector? SecretKeyRef { get; set; }
}

public sealed class DaprConfiguration : DaprResource<DaprConfigurationSpec>;

public sealed class DaprConfigurationSpec
{
    [JsonPropertyName("tracing")]
    public DaprTracing? Tracing { get; set; }

    [JsonPropertyName("metric")]
    public Dictionary<string, object>? Metric { get; set; }
}

public sealed class DaprTracing
{
    [JsonPropertyName("samplingRate")]
    public string SamplingRate { get; set; } = string.Empty;

    [JsonPropertyName("otel")]
    public Dictionary<string, object>? Otel { get; set; }
}

public sealed class DaprResiliency : DaprResource<DaprResiliencySpec>;

public sealed class DaprResiliencySpec
{
    [JsonPropertyName("policies")]
    public DaprResiliencyPolicies Policies { get; set; } = new();

    [JsonPropertyName("targets")]
    public DaprResiliencyTargets Targets { get; set; } = new();
}

public sealed class DaprResiliencyPolicies
{
    [JsonPropertyName("timeouts")]
    public Dictionary<string, string> Timeouts { get; set; } = [];

    [JsonPropertyName("retries")]
    public Dictionary<string, Dictionary<string, object>> Retries { get; set; } = [];

    [JsonPropertyName("circuitBreakers")]
    public Dictionary<string, Dictionary<string, object>> CircuitBreakers { get; set; } = [];
}

public sealed class DaprResiliencyTargets
{
    [JsonPropertyName("apps")]
    public Dictionary<string, DaprResiliencyTarget> Apps { get; set; } = [];

    [JsonPropertyName("components")]
    public Dictionary<string, Dictionary<string, DaprResiliencyTarget>> Components { get; set; } = [];
}

public sealed class DaprResiliencyTarget
{
    [JsonPropertyName("timeout")]
    public string? Timeout { get; set; }

    [JsonPropertyName("retry")]
    public string? Retry { get; set; }

    [JsonPropertyName("circuitBreaker")]
    public string? CircuitBreaker { get; set; }
}
