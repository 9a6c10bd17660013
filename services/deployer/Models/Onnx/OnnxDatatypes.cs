namespace ModelPlatform.Deployer.Models.Onnx;

/// <summary>ONNX element types (TensorProto.DataType) as the V2 inference protocol names them.</summary>
internal static class OnnxDatatypes
{
    private static readonly Dictionary<int, string> Names = new()
    {
        [1] = "FP32",
        [2] = "UINT8",
        [3] = "INT8",
        [4] = "UINT16",
        [5] = "INT16",
        [6] = "INT32",
        [7] = "INT64",
        [8] = "BYTES",
        [9] = "BOOL",
        [10] = "FP16",
        [11] = "FP64",
        [12] = "UINT32",
        [13] = "UINT64",
        [16] = "BF16",
    };

    // Types the V2 protocol has no name for keep their ONNX names, so a reader sees what the model wants.
    private static readonly Dictionary<int, string> OnnxOnly = new()
    {
        [14] = "COMPLEX64",
        [15] = "COMPLEX128",
        [17] = "FLOAT8E4M3FN",
        [18] = "FLOAT8E4M3FNUZ",
        [19] = "FLOAT8E5M2",
        [20] = "FLOAT8E5M2FNUZ",
        [21] = "UINT4",
        [22] = "INT4",
        [23] = "FLOAT4E2M1",
    };

    public static string V2Name(int elementType) =>
        Names.TryGetValue(elementType, out var name) ? name : OnnxOnly.GetValueOrDefault(elementType, "UNDEFINED");
}
