using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModelPlatform.Cli.Views;

/// <summary>A model version in the deployer's store (<c>POST /v1/models</c>'s answer), read leniently.</summary>
internal sealed record StoredModelView(
    string Name,
    JsonElement Version,
    string? Digest,
    long Size,
    string Uri,
    List<TensorView>? Inputs,
    List<TensorView>? Outputs,
    DateTimeOffset? CreatedAt)
{
    public static StoredModelView From(JsonNode node) =>
        node.Deserialize(ViewJsonContext.Default.StoredModelView) ?? throw new CliFailure(ExitCodes.Unexpected, "The deployer's answer is not a stored model.", node.ToJsonString());

    public string VersionText => Text(Version);

    /// <summary>A number or a string as the server sent it; empty when absent.</summary>
    public static string Text(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString() ?? string.Empty,
        JsonValueKind.Undefined or JsonValueKind.Null => string.Empty,
        _ => element.GetRawText(),
    };

    /// <summary><c>sha256:0123456789ab</c>: enough to tell versions apart in a table.</summary>
    public static string ShortDigest(string? digest) => digest is null ? "-" : digest.Length > 19 ? digest[..19] : digest;
}

/// <summary>A model input or output: its name, V2 datatype and shape (-1 or a name for a dimension of any size).</summary>
internal sealed record TensorView(string Name, string Datatype, JsonElement Shape)
{
    /// <summary>Each dimension, null where it may be of any size.</summary>
    public IReadOnlyList<long?> Dimensions => Shape.ValueKind == JsonValueKind.Array
        ? [.. Shape.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out var n) && n >= 0 ? n : (long?)null)]
        : [];

    public string ShapeText => "[" + string.Join(", ", Shape.ValueKind == JsonValueKind.Array
        ? Shape.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.String ? d.GetString() : d.GetRawText())
        : []) + "]";

    public static string Describe(TensorView tensor) => string.Create(CultureInfo.InvariantCulture, $"{tensor.Name}  {tensor.Datatype}  {tensor.ShapeText}");

    public static List<TensorView> ListFrom(JsonNode? node) =>
        node is JsonArray ? node.Deserialize(ViewJsonContext.Default.ListTensorView) ?? [] : [];
}
