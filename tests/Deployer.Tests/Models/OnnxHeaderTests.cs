using ModelPlatform.Deployer.Models.Onnx;
using ModelPlatform.Testing;
using ModelPlatform.Testing.Onnx;

namespace ModelPlatform.Deployer.Tests.Models;

/// <summary>The store reads an ONNX file's inputs and outputs from its protobuf, without ONNX Runtime.</summary>
public sealed class OnnxHeaderTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("onnx-header-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public void Every_onnx_element_type_reads_as_its_v2_datatype_with_named_dimensions_as_minus_one()
    {
        var path = TestModels.WriteAllTypesIdentity(_folder.FullName);

        var signature = Read(File.ReadAllBytes(path));

        Assert.Equal(TestModels.Datatypes.Select(t => $"{TestModels.InputName(t.Datatype)}:{t.Datatype}[-1,2]"),
            signature.Inputs.Select(i => $"{i.Name}:{i.Datatype}[{string.Join(',', i.Shape)}]"));
        Assert.Equal(TestModels.Datatypes.Select(t => TestModels.OutputName(t.Datatype)), signature.Outputs.Select(o => o.Name));
    }

    [Fact]
    public void A_graph_input_that_has_an_initializer_is_a_weight_not_an_input()
    {
        var model = new OnnxGraph("weights")
            .Input("x", OnnxType.Float, 1)
            .Input("w", OnnxType.Float, 1)
            .Output("y", OnnxType.Float, 1)
            .Initializer("w", OnnxType.Float, [1], BitConverter.GetBytes(2f))
            .Node("Mul", ["x", "w"], ["y"])
            .ToModel(irVersion: 3, opset: 9);

        var signature = Read(model);

        Assert.Equal(["x"], signature.Inputs.Select(i => i.Name));
        Assert.Equal([1L], signature.Inputs[0].Shape);
    }

    [Theory]
    [InlineData(new byte[0], "IR version")]
    [InlineData(new byte[] { 0x08, 0x07 }, "operator set")]
    [InlineData(new byte[] { 0xff, 0xff, 0xff }, "does not parse")]
    public void What_is_not_an_onnx_model_is_refused_with_the_reason(byte[] bytes, string reason)
    {
        using var stream = new MemoryStream(bytes);

        Assert.False(OnnxHeader.TryRead(stream, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_without_a_graph_is_refused()
    {
        var model = new OnnxGraph("g").Output("y", OnnxType.Float, 1).ToModel();
        var withoutGraph = ModelPlatform.Testing.Onnx.Proto.ModelProto.Parser.ParseFrom(model);
        withoutGraph.Graph = null;
        using var stream = new MemoryStream(Google.Protobuf.MessageExtensions.ToByteArray(withoutGraph));

        Assert.False(OnnxHeader.TryRead(stream, out _, out var error));
        Assert.Contains("no graph", error, StringComparison.Ordinal);
    }

    private static ModelSignature Read(byte[] model)
    {
        using var stream = new MemoryStream(model);
        Assert.True(OnnxHeader.TryRead(stream, out var signature, out var error), error);
        return signature;
    }
}
