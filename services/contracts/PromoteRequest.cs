using System.Text.Json.Serialization;

namespace ModelPlatform.Contracts;

/// <summary>
/// The optional body of <c>POST /v1/deployments/{name}/promote</c>. Left out, the promoted canary
/// serves with the stable variant's replica count, so promoting keeps the capacity it had.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PromoteRequest
{
    /// <summary>The replica count the promoted variant serves with, instead of the stable's.</summary>
    public int? Replicas { get; init; }
}
