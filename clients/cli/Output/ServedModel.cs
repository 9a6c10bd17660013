using System.Text.Json;
using System.Text.Json.Nodes;
using ModelPlatform.Cli.Http;
using ModelPlatform.Cli.Views;

namespace ModelPlatform.Cli.Output;

/// <summary>What deploy prints once a model serves: where, its inputs and outputs, and a request to try.</summary>
internal sealed class ServedModel(string name, string? variant, Uri gateway, StoredModelView model)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public string ModelUrl => new Uri(gateway, GatewayClient.ModelPath(name)).AbsoluteUri;

    public string InferUrl => ModelUrl + "/infer";

    /// <summary>The sample request and its curl; bodies too long for a command line are written to <c>{name}-request.json</c> in <paramref name="directory"/>.</summary>
    /// <returns>The body when it is inline (null when it went to the file), the curl, and the file's path relative to <paramref name="directory"/>.</returns>
    public (string? Body, string Curl, string? File) WriteSample(string directory)
    {
        var inputs = model.Inputs ?? [];
        var body = SampleRequest.Json(inputs);
        if (SampleRequest.ValueCount(inputs) <= SampleRequest.InlineValueLimit)
        {
            return (body, CurlCommand.Infer(InferUrl, body, null, variant), null);
        }

        var file = Path.Combine(directory, $"{name}-request.json");
        File.WriteAllText(file, body);
        var relative = Path.GetRelativePath(directory, file);
        // Not returned: --output json would otherwise print (and parse again) hundreds of thousands of values the file holds.
        return (null, CurlCommand.Infer(InferUrl, null, relative, variant), relative);
    }

    public void PrintSignature(CliOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Line("Inputs:");
        foreach (var input in model.Inputs ?? [])
        {
            output.Line("  " + TensorView.Describe(input));
        }

        output.Line("Outputs:");
        foreach (var tensor in model.Outputs ?? [])
        {
            output.Line("  " + TensorView.Describe(tensor));
        }
    }

    public static string Pretty(JsonNode? node) => node?.ToJsonString(Indented) ?? "null";
}
