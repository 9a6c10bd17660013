using System.Collections.Frozen;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelPlatform.SampleInference.Protocol;

/// <summary>The Open Inference Protocol's tensor datatypes and their ONNX Runtime counterparts.</summary>
internal static class V2Datatype
{
    private static readonly FrozenDictionary<string, TensorElementType> ByName = new Dictionary<string, TensorElementType>(StringComparer.Ordinal)
    {
        ["BOOL"] = TensorElementType.Bool,
        ["UINT8"] = TensorElementType.UInt8,
        ["UINT16"] = TensorElementType.UInt16,
        ["UINT32"] = TensorElementType.UInt32,
        ["UINT64"] = TensorElementType.UInt64,
        ["INT8"] = TensorElementType.Int8,
        ["INT16"] = TensorElementType.Int16,
        ["INT32"] = TensorElementType.Int32,
        ["INT64"] = TensorElementType.Int64,
        ["FP16"] = TensorElementType.Float16,
        ["BF16"] = TensorElementType.BFloat16,
        ["FP32"] = TensorElementType.Float,
        ["FP64"] = TensorElementType.Double,
        ["BYTES"] = TensorElementType.String,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<TensorElementType, string> ByElementType =
        ByName.ToFrozenDictionary(pair => pair.Value, pair => pair.Key);

    public static IEnumerable<string> All => ByName.Keys;

    public static bool TryParse(string name, out TensorElementType elementType) => ByName.TryGetValue(name, out elementType);

    public static bool TryFromElementType(TensorElementType elementType, out string name) =>
        ByElementType.TryGetValue(elementType, out name!);

    public static string FromElementType(TensorElementType elementType) =>
        TryFromElementType(elementType, out var name) ? name : elementType.ToString();

    /// <summary>Bytes per element in the binary format; 0 for BYTES, whose elements carry their own length.</summary>
    public static int SizeOf(TensorElementType elementType) => elementType switch
    {
        TensorElementType.Bool or TensorElementType.UInt8 or TensorElementType.Int8 => 1,
        TensorElementType.UInt16 or TensorElementType.Int16 or TensorElementType.Float16 or TensorElementType.BFloat16 => 2,
        TensorElementType.UInt32 or TensorElementType.Int32 or TensorElementType.Float => 4,
        TensorElementType.UInt64 or TensorElementType.Int64 or TensorElementType.Double => 8,
        _ => 0,
    };
}
