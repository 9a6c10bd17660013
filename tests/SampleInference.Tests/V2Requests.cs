using System.Buffers.Binary;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModelPlatform.SampleInference.Tests;

/// <summary>Builds and reads Open Inference Protocol messages the way a client library would.</summary>
internal static class V2Requests
{
    public const string HeaderLength = "Inference-Header-Content-Length";

    public static JsonObject Input(string name, string datatype, long[] shape, JsonArray data) => new()
    {
        ["name"] = name,
        ["datatype"] = datatype,
        ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode)d)]),
        ["data"] = data,
    };

    public static JsonObject BinaryInput(string name, string datatype, long[] shape, int size) => new()
    {
        ["name"] = name,
        ["datatype"] = datatype,
        ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode)d)]),
        ["parameters"] = new JsonObject { ["binary_data_size"] = size },
    };

    public static JsonObject Request(params JsonObject[] inputs) => new() { ["inputs"] = new JsonArray(inputs) };

    /// <summary>A request in the binary tensor data extension: the JSON header, then the binary parts.</summary>
    public static ByteArrayContent Binary(JsonObject header, params byte[][] parts)
    {
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var content = new ByteArrayContent([.. json, .. parts.SelectMany(part => part)]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add(HeaderLength, json.Length.ToString(CultureInfo.InvariantCulture));
        return content;
    }

    /// <summary>Splits a binary response into its JSON header and the bytes after it.</summary>
    public static async Task<(JsonObject Header, byte[] Binary)> ReadBinaryAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.Headers.TryGetValues(HeaderLength, out var values))
        {
            return (JsonNode.Parse(bytes)!.AsObject(), []);
        }

        var length = int.Parse(values.Single(), CultureInfo.InvariantCulture);
        return (JsonNode.Parse(bytes.AsSpan(0, length))!.AsObject(), bytes[length..]);
    }

    public static byte[] Bytes(float[] values) => [.. values.SelectMany(BitConverter.GetBytes)];

    public static float[] Floats(ReadOnlySpan<byte> bytes) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();

    public static float[] Floats(JsonNode data) => [.. data.AsArray().Select(value => value!.GetValue<float>())];

    /// <summary>BYTES elements in binary form: a 4-byte little-endian length before each.</summary>
    public static byte[] LengthPrefixed(params string[] values)
    {
        var buffer = new List<byte>();
        foreach (var value in values)
        {
            var utf8 = Encoding.UTF8.GetBytes(value);
            var prefix = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(prefix, utf8.Length);
            buffer.AddRange(prefix);
            buffer.AddRange(utf8);
        }

        return [.. buffer];
    }

    public static string Error(JsonObject body) => body["error"]?.GetValue<string>() ?? throw new JsonException($"No 'error' in {body}");
}
