using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelPlatform.SampleInference.Protocol;

/// <summary>Writes an output tensor as a JSON <c>data</c> array or as binary tensor data.</summary>
internal static class TensorEncoder
{
    public static void WriteJson(Utf8JsonWriter writer, OrtValue value, TensorElementType elementType)
    {
        writer.WriteStartArray();
        switch (elementType)
        {
            case TensorElementType.Float:
                foreach (var item in value.GetTensorDataAsSpan<float>())
                {
                    WriteFloat(writer, item);
                }

                break;
            case TensorElementType.Double:
                foreach (var item in value.GetTensorDataAsSpan<double>())
                {
                    WriteFloat(writer, item);
                }

                break;
            case TensorElementType.Float16:
                foreach (var item in value.GetTensorDataAsSpan<Float16>())
                {
                    WriteFloat(writer, (float)item);
                }

                break;
            case TensorElementType.BFloat16:
                foreach (var item in value.GetTensorDataAsSpan<BFloat16>())
                {
                    WriteFloat(writer, (float)item);
                }

                break;
            case TensorElementType.Int8:
                foreach (var item in value.GetTensorDataAsSpan<sbyte>())
                {
                    writer.WriteNumberValue(item);
                }

                break;
            case TensorElementType.Int16:
                foreach (var item in value.GetTensorDataAsSpan<short>())
                {
                    writer.WriteNumberValue(item);
                }

                break;
            case TensorElementType.Int32:
                foreach (var item in value.GetTensorDataAsSpan<int>())
                {
                    writer.WriteNumberValue(item);
                }

                break;
            case TensorElementType.Int64:
                foreach (var item in value.GetTensorDataAsSpan<long>())
                {
                    writer.WriteNumberValue(item);
                }

                break;
            case TensorElementType.UInt8:
                foreach (var item in value.GetTensorDataAsSpan<byte>())
                {
                    writer.WriteNumberValue(item);
                }

                break;
            case TensorElementType.UInt16:
                foreach (var item in value.GetTensorDataAsSpan<ushort>())
                {
                    writer.WriteNumberValue(item);
                }

                break;
            case TensorElementType.UInt32:
                foreach (var item in value.GetTensorDataAsSpan<uint>())
                {
                    writer.WriteNumberValue(item);
                }

                break;
            case TensorElementType.UInt64:
                foreach (var item in value.GetTensorDataAsSpan<ulong>())
                {
                    writer.WriteNumberValue(item);
                }

                break;
            case TensorElementType.Bool:
                foreach (var item in value.GetTensorDataAsSpan<bool>())
                {
                    writer.WriteBooleanValue(item);
                }

                break;
            case TensorElementType.String:
                var count = (int)value.GetTensorTypeAndShape().ElementCount;
                for (var i = 0; i < count; i++)
                {
                    // JSON strings are text: bytes that are not UTF-8 go out with replacement
                    // characters. The binary form carries them exactly.
                    var utf8 = value.GetStringElementAsSpan(i);
                    if (System.Text.Unicode.Utf8.IsValid(utf8))
                    {
                        writer.WriteStringValue(utf8);
                    }
                    else
                    {
                        writer.WriteStringValue(System.Text.Encoding.UTF8.GetString(utf8));
                    }
                }

                break;
            default:
                throw new NotSupportedException($"Output element type {elementType} has no V2 datatype.");
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// The output's bytes in binary form: the tensor's own memory for numbers and booleans; for
    /// BYTES, each element as a 4-byte little-endian length and its UTF-8 bytes.
    /// </summary>
    public static ReadOnlySpan<byte> BinaryView(OrtValue value, TensorElementType elementType, ref byte[]? stringBuffer)
    {
        if (elementType != TensorElementType.String)
        {
            return value.GetTensorMutableRawData();
        }

        stringBuffer ??= EncodeStrings(value);
        return stringBuffer;
    }

    public static long BinarySize(OrtValue value, TensorElementType elementType, ref byte[]? stringBuffer) =>
        elementType == TensorElementType.String
            ? (stringBuffer ??= EncodeStrings(value)).Length
            : value.GetTensorSizeInBytes();

    private static byte[] EncodeStrings(OrtValue value)
    {
        var count = (int)value.GetTensorTypeAndShape().ElementCount;
        var buffer = new ArrayBufferWriter<byte>();
        for (var i = 0; i < count; i++)
        {
            var utf8 = value.GetStringElementAsSpan(i);
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.GetSpan(4), (uint)utf8.Length);
            buffer.Advance(4);
            buffer.Write(utf8);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteFloat(Utf8JsonWriter writer, double value)
    {
        if (value == 0 && double.IsNegative(value))
        {
            WriteNegativeZero(writer);
        }
        else if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    private static void WriteFloat(Utf8JsonWriter writer, float value)
    {
        if (value == 0 && float.IsNegative(value))
        {
            WriteNegativeZero(writer);
        }
        else if (float.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(float.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    // Utf8JsonWriter writes -0.0 as "-0", which most JSON readers (Python's json among them) take for
    // the integer 0 and so lose the sign; "-0.0" is a float everywhere.
    private static void WriteNegativeZero(Utf8JsonWriter writer) => writer.WriteRawValue("-0.0"u8, skipInputValidation: true);
}
