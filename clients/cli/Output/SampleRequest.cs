using System.Text.Json.Nodes;
using ModelPlatform.Cli.Views;

namespace ModelPlatform.Cli.Output;

/// <summary>
/// An inference request (Open Inference Protocol, JSON) that fits a model's inputs: each input with
/// its datatype, its shape with 1 for every dimension of any size, and that many values (0, false,
/// or an empty string for BYTES). It proves the route end to end; the answer is not meaningful.
/// </summary>
internal static class SampleRequest
{
    /// <summary>Bodies with more values than this go to a file rather than onto the command line.</summary>
    public const long InlineValueLimit = 64;

    public static JsonObject For(IReadOnlyList<TensorView> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var array = new JsonArray();
        foreach (var input in inputs)
        {
            var shape = input.Dimensions.Select(d => d ?? 1).ToArray();
            var count = shape.Aggregate(1L, (product, dimension) => product * dimension);
            var data = new JsonArray();
            for (var i = 0L; i < count; i++)
            {
                data.Add(Zero(input.Datatype));
            }

            array.Add(new JsonObject
            {
                ["name"] = input.Name,
                ["datatype"] = input.Datatype,
                ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode?)JsonValue.Create(d))]),
                ["data"] = data,
            });
        }

        return new JsonObject { ["inputs"] = array };
    }

    /// <summary>How many values the sample body holds in all.</summary>
    public static long ValueCount(IReadOnlyList<TensorView> inputs) =>
        inputs.Sum(input => input.Dimensions.Aggregate(1L, (product, dimension) => product * (dimension ?? 1)));

    private static JsonValue Zero(string datatype) => datatype.ToUpperInvariant() switch
    {
        "BOOL" => JsonValue.Create(false),
        "BYTES" => JsonValue.Create(string.Empty),
        "FP16" or "BF16" or "FP32" or "FP64" => JsonValue.Create(0.0),
        _ => JsonValue.Create(0),
    };
}
