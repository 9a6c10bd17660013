using System.Text.Json.Serialization;

namespace ModelPlatform.Contracts;

/// <summary>
/// Who may call a model through the gateway. With no API keys the model is open; with some, every
/// call must carry one of them (<c>Authorization: Bearer &lt;key&gt;</c> or <c>x-api-key</c>).
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AccessSpec
{
    public IReadOnlyList<ApiKeySpec>? ApiKeys { get; init; }
}
