using System.Diagnostics.CodeAnalysis;
using Google.Protobuf;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Models.Onnx.Proto;

namespace ModelPlatform.Deployer.Models.Onnx;

/// <summary>
/// Reads what an ONNX file says about itself (its IR version, opsets, inputs and outputs) without
/// loading or running it: the protobuf is parsed with only those fields declared, so the nodes and
/// the weights are streamed past, and a 2 GB model costs a read, not 2 GB of memory.
/// </summary>
internal static class OnnxHeader
{
    private static readonly MessageParser<ModelProto> Parser = ModelProto.Parser.WithDiscardUnknownFields(true);

    /// <summary>The model's inputs and outputs, or the reason the stream is not an ONNX model.</summary>
    public static bool TryRead(Stream stream, [NotNullWhen(true)] out ModelSignature? signature, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(stream);
        signature = null;
        ModelProto model;
        try
        {
            model = Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException ex)
        {
            error = $"is not an ONNX model: it does not parse as an ONNX ModelProto ({ex.Message}).";
            return false;
        }

        error = WhyNotOnnx(model);
        if (error is not null)
        {
            return false;
        }

        var weights = model.Graph.Initializer.Select(tensor => tensor.Name).ToHashSet(StringComparer.Ordinal);
        signature = new ModelSignature(
            [.. model.Graph.Input.Where(value => !weights.Contains(value.Name)).Select(Tensor)],
            [.. model.Graph.Output.Select(Tensor)]);
        return true;
    }

    /// <summary>
    /// The fields every ONNX model has: any protobuf (even an empty file) parses as some message, so
    /// parsing alone proves little.
    /// </summary>
    private static string? WhyNotOnnx(ModelProto model)
    {
        if (!model.HasIrVersion || model.IrVersion < 1)
        {
            return "is not an ONNX model: it has no IR version (ModelProto.ir_version).";
        }

        if (model.OpsetImport.Count == 0)
        {
            return "is not an ONNX model: it imports no operator set (ModelProto.opset_import).";
        }

        if (model.Graph is null)
        {
            return "is not an ONNX model: it has no graph (ModelProto.graph).";
        }

        if (model.Graph.Output.Count == 0)
        {
            return "is not a servable ONNX model: its graph has no outputs.";
        }

        return model.Graph.Input.Concat(model.Graph.Output).Any(value => string.IsNullOrEmpty(value.Name))
            ? "is not a valid ONNX model: a graph input or output has no name."
            : null;
    }

    private static ModelTensor Tensor(ValueInfoProto value) => value.Type switch
    {
        { TensorType: { } tensor } => new ModelTensor(value.Name, OnnxDatatypes.V2Name(tensor.ElemType), Shape(tensor)),
        { SequenceType: not null } => new ModelTensor(value.Name, "SEQUENCE", []),
        { MapType: not null } => new ModelTensor(value.Name, "MAP", []),
        { SparseTensorType: not null } => new ModelTensor(value.Name, "SPARSE_TENSOR", []),
        { OptionalType: not null } => new ModelTensor(value.Name, "OPTIONAL", []),
        _ => new ModelTensor(value.Name, "UNKNOWN", []),
    };

    /// <summary>The dimensions, -1 for one that is named (dim_param) or unknown, as ONNX Runtime reports them.</summary>
    private static List<long> Shape(TypeProto.Types.Tensor tensor) =>
        tensor.Shape is null ? [] : [.. tensor.Shape.Dim.Select(dim => dim.HasDimValue && dim.DimValue >= 0 ? dim.DimValue : -1L)];
}

/// <summary>A model's inputs and outputs as the store reports them.</summary>
internal sealed record ModelSignature(IReadOnlyList<ModelTensor> Inputs, IReadOnlyList<ModelTensor> Outputs);
