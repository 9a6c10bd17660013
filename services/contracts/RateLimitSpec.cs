using System.Text.Json.Serialization;

namespace ModelPlatform.Contracts;

/// <summary>
/// How fast each client may call a model through the gateway: a token bucket that refills
/// <see cref="RequestsPerSecond"/> a second and holds <see cref="Burst"/> (at least one second's worth).
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RateLimitSpec
{
    public int RequestsPerSecond { get; init; }

    /// <summary>Requests allowed at once after a quiet spell; 0 means one second's worth.</summary>
    public int Burst { get; init; }
}
