using ModelPlatform.Testing.Onnx;

namespace ModelPlatform.Testing;

/// <summary>The small models the tests serve, generated on demand into a folder.</summary>
public static class TestModels
{
    /// <summary>Every V2 datatype and its ONNX element type.</summary>
    public static readonly IReadOnlyList<(string Datatype, OnnxType Type)> Datatypes =
    [
        ("BOOL", OnnxType.Bool),
        ("UINT8", OnnxType.UInt8),
        ("UINT16", OnnxType.UInt16),
        ("UINT32", OnnxType.UInt32),
        ("UINT64", OnnxType.UInt64),
        ("INT8", OnnxType.Int8),
        ("INT16", OnnxType.Int16),
        ("INT32", OnnxType.Int32),
        ("INT64", OnnxType.Int64),
        ("FP16", OnnxType.Float16),
        ("BF16", OnnxType.BFloat16),
        ("FP32", OnnxType.Float),
        ("FP64", OnnxType.Double),
        ("BYTES", OnnxType.String),
    ];

    public static string InputName(string datatype) => "x_" + datatype.ToLowerInvariant();

    public static string OutputName(string datatype) => "y_" + datatype.ToLowerInvariant();

    /// <summary>
    /// One Identity per datatype: input <c>x_{type}</c> of shape [batch, 2] to output <c>y_{type}</c>.
    /// </summary>
    public static string WriteAllTypesIdentity(string directory)
    {
        var graph = new OnnxGraph("all_types");
        foreach (var (datatype, type) in Datatypes)
        {
            graph.Input(InputName(datatype), type, "batch", 2)
                .Output(OutputName(datatype), type, "batch", 2)
                .Node("Identity", [InputName(datatype)], [OutputName(datatype)]);
        }

        return graph.Save(Path.Combine(directory, "all_types.onnx"));
    }

    /// <summary>Inputs <c>a</c> and <c>b</c>, FP32 [batch, 3]; outputs <c>sum</c> = a + b and <c>product</c> = a * b.</summary>
    public static string WriteAddMul(string directory) =>
        new OnnxGraph("add_mul")
            .Input("a", OnnxType.Float, "batch", 3)
            .Input("b", OnnxType.Float, "batch", 3)
            .Output("sum", OnnxType.Float, "batch", 3)
            .Output("product", OnnxType.Float, "batch", 3)
            .Node("Add", ["a", "b"], ["sum"])
            .Node("Mul", ["a", "b"], ["product"])
            .Save(Path.Combine(directory, "add_mul.onnx"));

    /// <summary>
    /// Class scores from weights: input <c>x</c>, FP32 [batch, 3]; output <c>scores</c> = x * <paramref name="weights"/>
    /// (three of them, one per class). Two files with other weights are the same model retrained: same
    /// inputs and outputs, other answers.
    /// </summary>
    public static string WriteWeightedScores(string directory, string fileName, float[] weights) =>
        new OnnxGraph("weighted_scores")
            .Input("x", OnnxType.Float, "batch", 3)
            .Output("scores", OnnxType.Float, "batch", 3)
            .Initializer("w", OnnxType.Float, [3], [.. weights.SelectMany(BitConverter.GetBytes)])
            .Node("Mul", ["x", "w"], ["scores"])
            .Save(Path.Combine(directory, fileName));

    /// <summary>
    /// A model that takes time on purpose: a Loop adds 1 to <c>x</c> (FP32 [1]) once per iteration,
    /// so <c>y</c> = x + iterations. With <paramref name="fixedIterations"/> the count is built in
    /// (and warm-up pays it); without, it is the INT64 scalar input <c>iterations</c>.
    /// </summary>
    public static string WriteCountingLoop(string directory, long? fixedIterations = null)
    {
        var body = new OnnxGraph("count_body")
            .Input("i", OnnxType.Int64)
            .Input("cond_in", OnnxType.Bool)
            .Input("v_in", OnnxType.Float, 1)
            .Output("cond_out", OnnxType.Bool)
            .Output("v_out", OnnxType.Float, 1)
            .Node("Identity", ["cond_in"], ["cond_out"])
            .Node("Add", ["v_in", "one"], ["v_out"]);

        var graph = new OnnxGraph("counting_loop")
            .Input("x", OnnxType.Float, 1)
            .Output("y", OnnxType.Float, 1)
            .Initializer("one", OnnxType.Float, [1], BitConverter.GetBytes(1f))
            .Initializer("keep_going", OnnxType.Bool, [], [1]);
        if (fixedIterations is { } iterations)
        {
            graph.Initializer("iterations", OnnxType.Int64, [], BitConverter.GetBytes(iterations));
        }
        else
        {
            graph.Input("iterations", OnnxType.Int64);
        }

        graph.Node("Loop", ["iterations", "keep_going", "x"], ["y"], OnnxGraph.GraphAttribute("body", body));
        var name = fixedIterations is null ? "counting_loop.onnx" : "slow_warmup.onnx";
        return graph.Save(Path.Combine(directory, name));
    }
}
