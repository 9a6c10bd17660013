using System.Text.Json.Serialization;

namespace ModelPlatform.Contracts;

/// <summary>An end user's API key, as its name and the lower-case hex SHA-256 of the key: never the key itself.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ApiKeySpec
{
    /// <summary>Names the key's holder; the gateway's rate limit counts per key name.</summary>
    public string? Name { get; init; }

    public string? Sha256 { get; init; }
}
