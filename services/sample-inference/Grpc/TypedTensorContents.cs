using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ModelPlatform.SampleInference.Grpc.V2;
using ModelPlatform.SampleInference.Protocol;

namespace ModelPlatform.SampleInference.Grpc;

/// <summary>
/// gRPC's typed tensor data (<c>InferTensorContents</c>), both ways. Each datatype has one field;
/// the narrower integers travel widened (INT8 and INT16 in <c>int_contents</c>, UINT8 and UINT16 in
/// <c>uint_contents</c>) and are checked for range on the way in. FP16 and BF16 have no field, so
/// they travel raw only.
/// </summary>
internal sealed class TypedTensorContents(InferTensorContents? contents) : ITypedTensorContents
{
    private readonly InferTensorContents _contents = contents ?? new InferTensorContents();

    /// <summary>Whether <paramref name="elementType"/> has a typed field: all but FP16 and BF16.</summary>
    public static bool HasField(TensorElementType elementType) =>
        elementType is not (TensorElementType.Float16 or TensorElementType.BFloat16);

    public static bool HasValues(InferTensorContents? contents) =>
        contents is not null &&
        (contents.BoolContents.Count | contents.IntContents.Count | contents.Int64Contents.Count | contents.UintContents.Count |
         contents.Uint64Contents.Count | contents.Fp32Contents.Count | contents.Fp64Contents.Count | contents.BytesContents.Count) != 0;

    public OrtValue Decode(RequestInput input, TensorElementType elementType, int count) => elementType switch
    {
        TensorElementType.Bool => Tensor(input, Same(input, count, _contents.BoolContents)),
        TensorElementType.Int8 => Tensor(input, Narrow(input, count, _contents.IntContents, static (int v, out sbyte n) => Fits(v, sbyte.MinValue, sbyte.MaxValue, (sbyte)v, out n))),
        TensorElementType.Int16 => Tensor(input, Narrow(input, count, _contents.IntContents, static (int v, out short n) => Fits(v, short.MinValue, short.MaxValue, (short)v, out n))),
        TensorElementType.Int32 => Tensor(input, Same(input, count, _contents.IntContents)),
        TensorElementType.Int64 => Tensor(input, Same(input, count, _contents.Int64Contents)),
        TensorElementType.UInt8 => Tensor(input, Narrow(input, count, _contents.UintContents, static (uint v, out byte n) => Fits(v, byte.MinValue, byte.MaxValue, (byte)v, out n))),
        TensorElementType.UInt16 => Tensor(input, Narrow(input, count, _contents.UintContents, static (uint v, out ushort n) => Fits(v, ushort.MinValue, ushort.MaxValue, (ushort)v, out n))),
        TensorElementType.UInt32 => Tensor(input, Same(input, count, _contents.UintContents)),
        TensorElementType.UInt64 => Tensor(input, Same(input, count, _contents.Uint64Contents)),
        TensorElementType.Float => Tensor(input, Same(input, count, _contents.Fp32Contents)),
        TensorElementType.Double => Tensor(input, Same(input, count, _contents.Fp64Contents)),
        TensorElementType.String => Strings(input, count, _contents.BytesContents),
        _ => throw InferenceProtocolException.BadRequest(
            $"input '{input.Name}': {input.Datatype} has no typed contents field; send it in raw_input_contents."),
    };

    /// <summary>An output's elements in the field of its datatype.</summary>
    public static InferTensorContents Encode(OrtValue value, TensorElementType elementType)
    {
        var contents = new InferTensorContents();
        switch (elementType)
        {
            case TensorElementType.Bool:
                contents.BoolContents.Add(value.GetTensorDataAsSpan<bool>().ToArray());
                break;
            case TensorElementType.Int8:
                foreach (var item in value.GetTensorDataAsSpan<sbyte>())
                {
                    contents.IntContents.Add(item);
                }

                break;
            case TensorElementType.Int16:
                foreach (var item in value.GetTensorDataAsSpan<short>())
                {
                    contents.IntContents.Add(item);
                }

                break;
            case TensorElementType.Int32:
                contents.IntContents.Add(value.GetTensorDataAsSpan<int>().ToArray());
                break;
            case TensorElementType.Int64:
                contents.Int64Contents.Add(value.GetTensorDataAsSpan<long>().ToArray());
                break;
            case TensorElementType.UInt8:
                foreach (var item in value.GetTensorDataAsSpan<byte>())
                {
                    contents.UintContents.Add(item);
                }

                break;
            case TensorElementType.UInt16:
                foreach (var item in value.GetTensorDataAsSpan<ushort>())
                {
                    contents.UintContents.Add(item);
                }

                break;
            case TensorElementType.UInt32:
                contents.UintContents.Add(value.GetTensorDataAsSpan<uint>().ToArray());
                break;
            case TensorElementType.UInt64:
                contents.Uint64Contents.Add(value.GetTensorDataAsSpan<ulong>().ToArray());
                break;
            case TensorElementType.Float:
                contents.Fp32Contents.Add(value.GetTensorDataAsSpan<float>().ToArray());
                break;
            case TensorElementType.Double:
                contents.Fp64Contents.Add(value.GetTensorDataAsSpan<double>().ToArray());
                break;
            case TensorElementType.String:
                var count = (int)value.GetTensorTypeAndShape().ElementCount;
                for (var i = 0; i < count; i++)
                {
                    contents.BytesContents.Add(ByteString.CopyFrom(value.GetStringElementAsSpan(i)));
                }

                break;
            default:
                throw new NotSupportedException($"Output element type {elementType} has no typed contents field.");
        }

        return contents;
    }

    private delegate bool Narrowing<TWide, TNarrow>(TWide value, out TNarrow narrow);

    private static bool Fits<TWide, TNarrow>(TWide value, TWide min, TWide max, TNarrow cast, out TNarrow narrow)
        where TWide : IComparable<TWide>
    {
        narrow = cast;
        return value.CompareTo(min) >= 0 && value.CompareTo(max) <= 0;
    }

    private static T[] Same<T>(RequestInput input, int count, RepeatedField<T> values)
    {
        CheckCount(input, count, values.Count);
        var array = new T[count];
        values.CopyTo(array, 0);
        return array;
    }

    private static TNarrow[] Narrow<TWide, TNarrow>(RequestInput input, int count, RepeatedField<TWide> values, Narrowing<TWide, TNarrow> narrow)
        where TWide : IFormattable
    {
        CheckCount(input, count, values.Count);
        var array = new TNarrow[count];
        for (var i = 0; i < count; i++)
        {
            if (!narrow(values[i], out array[i]))
            {
                throw TensorDecoder.InvalidElement(input, i, values[i].ToString(null, CultureInfo.InvariantCulture));
            }
        }

        return array;
    }

    private static OrtValue Tensor<T>(RequestInput input, T[] values)
        where T : unmanaged =>
        OrtValue.CreateTensorValueFromMemory(values, input.Shape);

    private static OrtValue Strings(RequestInput input, int count, RepeatedField<ByteString> values)
    {
        CheckCount(input, count, values.Count);
        var tensor = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, input.Shape);
        try
        {
            for (var i = 0; i < count; i++)
            {
                tensor.StringTensorSetElementAt(values[i].Span, i);
            }

            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    private static void CheckCount(RequestInput input, int expected, int actual)
    {
        if (actual != expected)
        {
            throw TensorDecoder.CountMismatch(input, expected, actual.ToString(CultureInfo.InvariantCulture));
        }
    }
}
