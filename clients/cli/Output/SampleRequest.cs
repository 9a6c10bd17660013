using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelPlatform.Cli.Views;

namespace ModelPlatform.Cli.Output;

/// <summary>
/// An inference request (Open Inference Protocol, JSON) that fits a model's inputs: each input with
/// its datatype, its shape with 1 for every dimension of any size, and that many values (0, false,
/// or an empty string for BYTES). It proves the route end to end; the answer is not meaningful.
/// Written straight to text: an image model's body has hundreds of thousands of values.
/// </summary>
internal static class SampleRequest
{
    /// <summary>Bodies with more values than this go to a file rather than onto the command line.</summary>
    public const long InlineValueLimit = 64;

    public static string Json(IReadOnlyList<TensorView> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("inputs");
            foreach (var input in inputs)
            {
                var shape = input.Dimensions.Select(d => d ?? 1).ToArray();
                writer.WriteStartObject();
                writer.WriteString("name", input.Name);
                writer.WriteString("datatype", input.Datatype);
                writer.WriteStartArray("shape");
                foreach (var dimension in shape)
                {
                    writer.WriteNumberValue(dimension);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("data");
                var count = shape.Aggregate(1L, (product, dimension) => product * dimension);
                for (var i = 0L; i < count; i++)
                {
                    WriteZero(writer, input.Datatype);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static JsonObject For(IReadOnlyList<TensorView> inputs) => JsonNode.Parse(Json(inputs))!.AsObject();

    /// <summary>How many values the sample body holds in all.</summary>
    public static long ValueCount(IReadOnlyList<TensorView> inputs) =>
        inputs.Sum(input => input.Dimensions.Aggregate(1L, (product, dimension) => product * (dimension ?? 1)));

    private static void WriteZero(Utf8JsonWriter writer, string datatype)
    {
        switch (datatype.ToUpperInvariant())
        {
            case "BOOL":
                writer.WriteBooleanValue(false);
                break;
            case "BYTES":
                writer.WriteStringValue(string.Empty);
                break;
            default:
                writer.WriteNumberValue(0);
                break;
        }
    }
}
