using System.Text.Json.Serialization;

namespace ModelPlatform.Contracts;

/// <summary>
/// What a data scientist asks for: a model with a stable variant, optionally a canary, and the
/// share of traffic the canary gets. The body of <c>POST /v1/deployments</c> and
/// <c>PUT /v1/deployments/{name}</c>.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record DeploymentRequest
{
    /// <summary>A DNS-1035 label: lower-case letters, digits and '-', starting with a letter.</summary>
    public string? Name { get; init; }

    public VariantSpec? Stable { get; init; }

    public VariantSpec? Canary { get; init; }

    public TrafficRequest? Traffic { get; init; }

    /// <summary>API keys end users must present at the gateway; left out, the model is open.</summary>
    public AccessSpec? Access { get; init; }

    /// <summary>The gateway's per-client rate limit for this model; left out, none.</summary>
    public RateLimitSpec? Limits { get; init; }

    /// <summary>Rolls a canary out by itself, step by step, judged against stable; left out, operators move the canary by hand.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RolloutSpec? Rollout { get; init; }
}

/// <summary>One variant of a deployment: what runs, how many replicas, with which resources.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record VariantSpec
{
    /// <summary>A model file served by the reference runtime; exclusive with <see cref="Image"/>.</summary>
    public ModelSource? Model { get; init; }

    /// <summary>A container image that meets the inference contract; exclusive with <see cref="Model"/>.</summary>
    public string? Image { get; init; }

    public int Replicas { get; init; } = 1;

    /// <summary>
    /// With <see cref="MaxReplicas"/>, asks for a horizontal autoscaler (Kubernetes provisioner
    /// only); <see cref="Replicas"/> is then the count to start with. Left out of the JSON when
    /// unset, so that the replica-set names of variants without it stay what they were.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MinReplicas { get; init; }

    /// <summary>The autoscaler's upper bound; see <see cref="MinReplicas"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxReplicas { get; init; }

    public ResourceSpec? Resources { get; init; }

    public IReadOnlyDictionary<string, string>? Env { get; init; }

    /// <summary>
    /// The container port on which an <see cref="Image"/> serves the Open Inference Protocol over gRPC
    /// (cleartext HTTP/2), given to it as <c>GRPC_PORT</c>; left out, the image speaks REST only. The
    /// reference runtime always speaks gRPC, on a port the platform chooses. Left out of the JSON when
    /// unset, so that the replica-set names of variants without it stay what they were.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? GrpcPort { get; init; }
}

/// <summary>A model file and its format.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ModelSource
{
    /// <summary>Only <c>onnx</c> for now.</summary>
    public string? Format { get; init; }

    /// <summary>A file path or <c>file://</c> URI.</summary>
    public string? Uri { get; init; }
}

/// <summary>Resources per replica: Kubernetes quantities for CPU and memory, a GPU count.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ResourceSpec
{
    public string? Cpu { get; init; }

    public string? Memory { get; init; }

    public int Gpu { get; init; }
}

/// <summary>The canary's share of traffic, 0 to 100; the stable variant gets the rest.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record TrafficRequest
{
    public int Canary { get; init; }

    /// <summary>
    /// The share (0 to 100) of the requests stable serves that the gateway also copies to the canary,
    /// whose answers are compared and discarded (a shadow run). Above 0 only with a canary.
    /// </summary>
    public int Mirror { get; init; }
}
