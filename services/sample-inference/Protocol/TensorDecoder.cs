using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ModelPlatform.SampleInference.Runtime;

namespace ModelPlatform.SampleInference.Protocol;

/// <summary>
/// Turns one request input into an ONNX Runtime tensor, after checking it against the model's
/// declaration: datatype, rank, fixed dimensions, and that the data has exactly as many elements
/// as the shape says.
/// </summary>
internal static class TensorDecoder
{
    private delegate bool ElementReader<T>(JsonElement element, out T value);

    public static OrtValue Decode(RequestInput input, TensorSpec spec)
    {
        if (!string.Equals(input.Datatype, spec.Datatype, StringComparison.Ordinal))
        {
            throw InferenceProtocolException.BadRequest(
                $"input '{input.Name}': datatype {input.Datatype} does not match the model's {spec.Datatype}.");
        }

        CheckShape(input, spec);
        var count = ElementCount(input);
        if (input.Typed is { } typed)
        {
            return typed.Decode(input, spec.ElementType, count);
        }

        return spec.ElementType switch
        {
            TensorElementType.Float => Numeric<float>(input, count, ReadSingle),
            TensorElementType.Double => Numeric<double>(input, count, ReadDouble),
            TensorElementType.Float16 => Numeric<Float16>(input, count, ReadFloat16),
            TensorElementType.BFloat16 => Numeric<BFloat16>(input, count, ReadBFloat16),
            TensorElementType.Int8 => Numeric<sbyte>(input, count, (JsonElement e, out sbyte v) => e.TryGetSByte(out v)),
            TensorElementType.Int16 => Numeric<short>(input, count, (JsonElement e, out short v) => e.TryGetInt16(out v)),
            TensorElementType.Int32 => Numeric<int>(input, count, (JsonElement e, out int v) => e.TryGetInt32(out v)),
            TensorElementType.Int64 => Numeric<long>(input, count, (JsonElement e, out long v) => e.TryGetInt64(out v)),
            TensorElementType.UInt8 => Numeric<byte>(input, count, (JsonElement e, out byte v) => e.TryGetByte(out v)),
            TensorElementType.UInt16 => Numeric<ushort>(input, count, (JsonElement e, out ushort v) => e.TryGetUInt16(out v)),
            TensorElementType.UInt32 => Numeric<uint>(input, count, (JsonElement e, out uint v) => e.TryGetUInt32(out v)),
            TensorElementType.UInt64 => Numeric<ulong>(input, count, (JsonElement e, out ulong v) => e.TryGetUInt64(out v)),
            TensorElementType.Bool => Bool(input, count),
            TensorElementType.String => Strings(input, count),
            _ => throw InferenceProtocolException.BadRequest($"input '{input.Name}': datatype {input.Datatype} is not supported."),
        };
    }

    private static void CheckShape(RequestInput input, TensorSpec spec)
    {
        var matches = input.Shape.Length == spec.Shape.Length;
        for (var i = 0; matches && i < spec.Shape.Length; i++)
        {
            matches = spec.Shape[i] < 0 || spec.Shape[i] == input.Shape[i];
        }

        if (!matches)
        {
            throw InferenceProtocolException.BadRequest(
                $"input '{input.Name}': shape {FormatShape(input.Shape)} does not match the model's {FormatShape(spec.Shape)} (-1 is any size).");
        }
    }

    private static int ElementCount(RequestInput input)
    {
        long count = 1;
        foreach (var dimension in input.Shape)
        {
            if (dimension != 0 && count > Array.MaxLength / dimension)
            {
                throw InferenceProtocolException.BadRequest(
                    $"input '{input.Name}': shape {FormatShape(input.Shape)} has more elements than a request can carry.");
            }

            count *= dimension;
        }

        return (int)count;
    }

    private static OrtValue Numeric<T>(RequestInput input, int count, ElementReader<T> read)
        where T : unmanaged
    {
        T[] values;
        if (input.Binary is { } binary)
        {
            var expected = (long)count * Marshal.SizeOf<T>();
            if (binary.Length != expected)
            {
                throw BinarySizeMismatch(input, binary.Length, expected);
            }

            values = MemoryMarshal.Cast<byte, T>(binary.Span).ToArray();
        }
        else
        {
            values = FromJson(input, count, read);
        }

        return OrtValue.CreateTensorValueFromMemory(values, input.Shape);
    }

    private static OrtValue Bool(RequestInput input, int count)
    {
        bool[] values;
        if (input.Binary is { } binary)
        {
            if (binary.Length != count)
            {
                throw BinarySizeMismatch(input, binary.Length, count);
            }

            values = new bool[count];
            var bytes = binary.Span;
            for (var i = 0; i < count; i++)
            {
                values[i] = bytes[i] != 0;
            }
        }
        else
        {
            values = FromJson(input, count, static (JsonElement e, out bool v) =>
            {
                v = e.ValueKind == JsonValueKind.True;
                return e.ValueKind is JsonValueKind.True or JsonValueKind.False;
            });
        }

        return OrtValue.CreateTensorValueFromMemory(values, input.Shape);
    }

    private static OrtValue Strings(RequestInput input, int count)
    {
        var tensor = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, input.Shape);
        try
        {
            if (input.Binary is { } binary)
            {
                FillStringsFromBinary(tensor, input, count, binary.Span);
            }
            else
            {
                var values = FromJson(input, count, static (JsonElement e, out string v) =>
                {
                    v = e.ValueKind == JsonValueKind.String ? e.GetString()! : string.Empty;
                    return e.ValueKind == JsonValueKind.String;
                });
                for (var i = 0; i < values.Length; i++)
                {
                    tensor.StringTensorSetElementAt(values[i].AsSpan(), i);
                }
            }

            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>BYTES in binary form: each element is a 4-byte little-endian length, then that many bytes.</summary>
    private static void FillStringsFromBinary(OrtValue tensor, RequestInput input, int count, ReadOnlySpan<byte> bytes)
    {
        var index = 0;
        while (!bytes.IsEmpty)
        {
            if (bytes.Length < 4)
            {
                throw InferenceProtocolException.BadRequest($"input '{input.Name}': BYTES element {index} has a truncated length prefix.");
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
            if (length > bytes.Length - 4)
            {
                throw InferenceProtocolException.BadRequest(
                    $"input '{input.Name}': BYTES element {index} claims {length} bytes, but {bytes.Length - 4} remain.");
            }

            if (index >= count)
            {
                throw CountMismatch(input, count, $"more than {count}");
            }

            tensor.StringTensorSetElementAt(bytes.Slice(4, (int)length), index++);
            bytes = bytes[(4 + (int)length)..];
        }

        if (index != count)
        {
            throw CountMismatch(input, count, index.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static T[] FromJson<T>(RequestInput input, int count, ElementReader<T> read)
    {
        var data = input.Data!.Value;
        var found = CountLeaves(data);
        if (found != count)
        {
            throw CountMismatch(input, count, found.ToString(CultureInfo.InvariantCulture));
        }

        var values = new T[count];
        var index = 0;
        Fill(data, values, ref index, input, read);
        return values;
    }

    // The protocol sends data flattened in row-major order; nested arrays are accepted too, as Triton does.
    private static long CountLeaves(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            return 1;
        }

        long total = 0;
        foreach (var child in element.EnumerateArray())
        {
            total += child.ValueKind == JsonValueKind.Array ? CountLeaves(child) : 1;
        }

        return total;
    }

    private static void Fill<T>(JsonElement element, T[] values, ref int index, RequestInput input, ElementReader<T> read)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var child in element.EnumerateArray())
            {
                Fill(child, values, ref index, input, read);
            }

            return;
        }

        if (!read(element, out values[index]))
        {
            throw InvalidElement(input, index, element.GetRawText());
        }

        index++;
    }

    private static bool ReadSingle(JsonElement element, out float value)
    {
        if (element.ValueKind == JsonValueKind.Number)
        {
            return element.TryGetSingle(out value) && float.IsFinite(value);
        }

        var ok = TryReadNamedLiteral(element, out var wide);
        value = (float)wide;
        return ok;
    }

    private static bool ReadDouble(JsonElement element, out double value) =>
        element.ValueKind == JsonValueKind.Number
            ? element.TryGetDouble(out value) && double.IsFinite(value)
            : TryReadNamedLiteral(element, out value);

    private static bool ReadFloat16(JsonElement element, out Float16 value)
    {
        var ok = ReadSingle(element, out var single);
        value = (Float16)single;
        return ok;
    }

    private static bool ReadBFloat16(JsonElement element, out BFloat16 value)
    {
        var ok = ReadSingle(element, out var single);
        value = (BFloat16)single;
        return ok;
    }

    // JSON has no NaN or infinity; like System.Text.Json's named literals, they travel as strings.
    private static bool TryReadNamedLiteral(JsonElement element, out double value)
    {
        value = element.ValueKind != JsonValueKind.String ? 0 : element.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            _ => 0,
        };
        return value != 0;
    }

    private static InferenceProtocolException BinarySizeMismatch(RequestInput input, long actual, long expected) =>
        InferenceProtocolException.BadRequest(
            $"input '{input.Name}': {input.BinarySource} is {actual} bytes, but shape {FormatShape(input.Shape)} of {input.Datatype} needs {expected}.");

    public static InferenceProtocolException InvalidElement(RequestInput input, int index, string value) =>
        InferenceProtocolException.BadRequest(
            $"input '{input.Name}': element {index} is {Truncate(value)}, not a valid {input.Datatype} value.");

    public static InferenceProtocolException CountMismatch(RequestInput input, int expected, string actual) =>
        InferenceProtocolException.BadRequest(
            $"input '{input.Name}': shape {FormatShape(input.Shape)} needs {expected} elements, but the data has {actual}.");

    public static string FormatShape(IEnumerable<long> shape) => "[" + string.Join(",", shape) + "]";

    private static string Truncate(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "...");
}
