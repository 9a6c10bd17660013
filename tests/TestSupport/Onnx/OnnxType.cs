namespace ModelPlatform.Testing.Onnx;

/// <summary>ONNX tensor element types (TensorProto.DataType).</summary>
#pragma warning disable CA1720 // The names are ONNX's own.
public enum OnnxType
{
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    BFloat16 = 16,
}
#pragma warning restore CA1720
