using ModelPlatform.Testing.Onnx;
using ModelPlatform.Testing.Onnx.Proto;

namespace ModelPlatform.Testing;

/// <summary>
/// Canaries that misbehave the way a real new model version can, each taking the same requests as
/// a healthy stable so the two can be compared: one that refuses some inputs, one that is slow.
/// </summary>
public static class CanaryModels
{
    /// <summary>
    /// <see cref="TestModels.WriteAddMul"/>'s inputs and outputs plus <c>checked</c>: <c>sum</c>
    /// reshaped to <c>[-1, a[0][0]]</c>. With <c>a[0][0]</c> = 1 or 3 it answers as AddMul does; with
    /// 2 the Reshape fails inside ONNX Runtime at run time (3 values cannot make rows of 2). ONNX
    /// Runtime reports that as a failed check on the data, which the reference server answers with
    /// 400: a canary refusing requests the stable model accepts.
    /// </summary>
    public static string WriteRefusingEvenCorner(string directory) =>
        new OnnxGraph("refuses_even_corner")
            .Input("a", OnnxType.Float, "batch", 3)
            .Input("b", OnnxType.Float, "batch", 3)
            .Output("sum", OnnxType.Float, "batch", 3)
            .Output("product", OnnxType.Float, "batch", 3)
            .Output("checked", OnnxType.Float, "rows", "columns")
            .Initializer("starts", OnnxType.Int64, [2], Int64s(0, 0))
            .Initializer("ends", OnnxType.Int64, [2], Int64s(1, 1))
            .Initializer("one_value", OnnxType.Int64, [1], Int64s(1))
            .Initializer("any_rows", OnnxType.Int64, [1], Int64s(-1))
            .Node("Add", ["a", "b"], ["sum"])
            .Node("Mul", ["a", "b"], ["product"])
            .Node("Slice", ["a", "starts", "ends"], ["corner"])
            .Node("Reshape", ["corner", "one_value"], ["corner_value"])
            .Node("Cast", ["corner_value"], ["columns"], IntAttribute("to", (long)OnnxType.Int64))
            .Node("Concat", ["any_rows", "columns"], ["shape"], IntAttribute("axis", 0))
            .Node("Reshape", ["sum", "shape"], ["checked"])
            .Save(Path.Combine(directory, "refuses_even_corner.onnx"));

    /// <summary>
    /// <see cref="TestModels.WriteCountingLoop"/> with its count built in, in a folder of its own under
    /// <paramref name="directory"/> (so a fast and a slow one can sit side by side): the same
    /// requests (<c>x</c>, FP32 [1]), answered in time proportional to <paramref name="iterations"/>.
    /// </summary>
    public static string WriteCounting(string directory, long iterations)
    {
        var folder = Directory.CreateDirectory(Path.Combine(directory, $"counting-{iterations}")).FullName;
        return TestModels.WriteCountingLoop(folder, iterations);
    }

    private static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static byte[] Int64s(params long[] values) => [.. values.SelectMany(BitConverter.GetBytes)];
}
