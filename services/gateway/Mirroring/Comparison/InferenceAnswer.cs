using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;

namespace ModelPlatform.Gateway.Mirroring.Comparison;

/// <summary>
/// Reads an Open Inference Protocol answer's outputs: plain JSON, or the binary tensor data
/// extension (a JSON header of <c>Inference-Header-Content-Length</c> bytes, then each binary
/// output's bytes in order), decompressed first when the answer was compressed.
/// </summary>
internal static class InferenceAnswer
{
    /// <summary>A compressed answer is read only up to this size: a comparison must not cost the gateway its memory.</summary>
    private const int MaxDecompressedBytes = 64 * 1024 * 1024;

    /// <summary>The outputs by name, or null with the reason when the answer cannot be read.</summary>
    public static (IReadOnlyList<OutputTensor>? Outputs, string? Error) Read(ReadOnlyMemory<byte> body, string? contentEncoding, string? headerLength)
    {
        try
        {
            var bytes = Decompress(body, contentEncoding);
            var jsonLength = bytes.Length;
            if (headerLength is not null)
            {
                if (!int.TryParse(headerLength, NumberStyles.None, CultureInfo.InvariantCulture, out jsonLength) || jsonLength > bytes.Length)
                {
                    return (null, "the binary header length does not fit the answer");
                }
            }

            using var document = JsonDocument.Parse(bytes[..jsonLength]);
            if (!document.RootElement.TryGetProperty("outputs", out var outputs) || outputs.ValueKind != JsonValueKind.Array)
            {
                return (null, "the answer has no outputs");
            }

            var binary = bytes[jsonLength..];
            var tensors = new List<OutputTensor>(outputs.GetArrayLength());
            foreach (var output in outputs.EnumerateArray())
            {
                tensors.Add(ReadOutput(output, ref binary));
            }

            return (tensors, null);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidDataException or InvalidOperationException or KeyNotFoundException or OverflowException or ArgumentException)
        {
            return (null, "the answer is not a readable inference answer");
        }
    }

    private static OutputTensor ReadOutput(JsonElement output, ref ReadOnlyMemory<byte> binary)
    {
        var name = output.GetProperty("name").GetString() ?? throw new FormatException();
        var datatype = output.GetProperty("datatype").GetString() ?? throw new FormatException();
        var shape = output.GetProperty("shape").EnumerateArray().Select(static dim => dim.GetInt64()).ToArray();
        if (output.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object &&
            parameters.TryGetProperty("binary_data_size", out var size))
        {
            var length = checked((int)size.GetInt64());
            if (length > binary.Length)
            {
                throw new InvalidDataException("binary_data_size runs past the answer");
            }

            var data = binary.Span[..length];
            binary = binary[length..];
            return datatype == "BYTES"
                ? new OutputTensor(name, datatype, shape, null, ReadBinaryStrings(data))
                : new OutputTensor(name, datatype, shape, ReadBinaryNumbers(datatype, data), null);
        }

        var elements = new List<JsonElement>();
        Flatten(output.GetProperty("data"), elements);
        return datatype == "BYTES"
            ? new OutputTensor(name, datatype, shape, null, [.. elements.Select(static e => e.GetString() ?? string.Empty)])
            : new OutputTensor(name, datatype, shape, [.. elements.Select(ReadJsonNumber)], null);
    }

    private static void Flatten(JsonElement data, List<JsonElement> into)
    {
        if (data.ValueKind != JsonValueKind.Array)
        {
            into.Add(data);
            return;
        }

        foreach (var element in data.EnumerateArray())
        {
            Flatten(element, into);
        }
    }

    private static double ReadJsonNumber(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number => element.GetDouble(),
        JsonValueKind.True => 1,
        JsonValueKind.False => 0,
        JsonValueKind.String => element.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            _ => throw new FormatException(),
        },
        _ => throw new FormatException(),
    };

    private static double[] ReadBinaryNumbers(string datatype, ReadOnlySpan<byte> data)
    {
        var size = datatype switch
        {
            "BOOL" or "UINT8" or "INT8" => 1,
            "UINT16" or "INT16" or "FP16" or "BF16" => 2,
            "UINT32" or "INT32" or "FP32" => 4,
            "UINT64" or "INT64" or "FP64" => 8,
            _ => throw new FormatException(),
        };
        if (data.Length % size != 0)
        {
            throw new InvalidDataException("binary data is not whole elements");
        }

        var values = new double[data.Length / size];
        for (var i = 0; i < values.Length; i++)
        {
            var at = data.Slice(i * size, size);
            values[i] = datatype switch
            {
                "BOOL" => at[0] == 0 ? 0 : 1,
                "UINT8" => at[0],
                "INT8" => (sbyte)at[0],
                "UINT16" => BinaryPrimitives.ReadUInt16LittleEndian(at),
                "INT16" => BinaryPrimitives.ReadInt16LittleEndian(at),
                "FP16" => (double)BinaryPrimitives.ReadHalfLittleEndian(at),
                "BF16" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(at) << 16),
                "UINT32" => BinaryPrimitives.ReadUInt32LittleEndian(at),
                "INT32" => BinaryPrimitives.ReadInt32LittleEndian(at),
                "FP32" => BinaryPrimitives.ReadSingleLittleEndian(at),
                "UINT64" => BinaryPrimitives.ReadUInt64LittleEndian(at),
                "INT64" => BinaryPrimitives.ReadInt64LittleEndian(at),
                _ => BinaryPrimitives.ReadDoubleLittleEndian(at),
            };
        }

        return values;
    }

    private static string[] ReadBinaryStrings(ReadOnlySpan<byte> data)
    {
        var strings = new List<string>();
        while (!data.IsEmpty)
        {
            var length = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(data));
            strings.Add(Convert.ToBase64String(data.Slice(4, length)));
            data = data[(4 + length)..];
        }

        return [.. strings];
    }

    private static ReadOnlyMemory<byte> Decompress(ReadOnlyMemory<byte> body, string? contentEncoding)
    {
        if (string.IsNullOrEmpty(contentEncoding) || contentEncoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return body;
        }

        using var compressed = new MemoryStream(body.ToArray(), writable: false);
        using Stream reader = contentEncoding.ToLowerInvariant() switch
        {
            "gzip" => new GZipStream(compressed, CompressionMode.Decompress),
            "deflate" => new ZLibStream(compressed, CompressionMode.Decompress),
            "br" => new BrotliStream(compressed, CompressionMode.Decompress),
            _ => throw new InvalidDataException($"unknown content encoding '{contentEncoding}'"),
        };
        using var plain = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = reader.Read(chunk)) > 0)
        {
            if (plain.Length + read > MaxDecompressedBytes)
            {
                throw new InvalidDataException("the answer decompresses past the comparison's limit");
            }

            plain.Write(chunk, 0, read);
        }

        return plain.ToArray();
    }
}
