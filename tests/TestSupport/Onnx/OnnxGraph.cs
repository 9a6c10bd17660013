using Google.Protobuf;
using ModelPlatform.Testing.Onnx.Proto;

namespace ModelPlatform.Testing.Onnx;

/// <summary>
/// Builds small ONNX graphs for tests: typed inputs and outputs (dimensions as numbers, or names
/// for dynamic ones), nodes, initializers and subgraph attributes.
/// </summary>
public sealed class OnnxGraph(string name)
{
    private readonly GraphProto _graph = new() { Name = name };

    public OnnxGraph Input(string valueName, OnnxType type, params object[] dimensions)
    {
        _graph.Input.Add(ValueInfo(valueName, type, dimensions));
        return this;
    }

    public OnnxGraph Output(string valueName, OnnxType type, params object[] dimensions)
    {
        _graph.Output.Add(ValueInfo(valueName, type, dimensions));
        return this;
    }

    public OnnxGraph Node(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{_graph.Node.Count}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return this;
    }

    public OnnxGraph Initializer(string valueName, OnnxType type, long[] dimensions, byte[] rawData)
    {
        var tensor = new TensorProto { Name = valueName, DataType = (int)type, RawData = ByteString.CopyFrom(rawData) };
        tensor.Dims.AddRange(dimensions);
        _graph.Initializer.Add(tensor);
        return this;
    }

    /// <summary>A graph-valued attribute, such as the body of a Loop.</summary>
    public static AttributeProto GraphAttribute(string attributeName, OnnxGraph body) => new()
    {
        Name = attributeName,
        Type = AttributeProto.Types.AttributeType.Graph,
        G = body._graph,
    };

    /// <summary>Serializes the graph as a model of the given IR version and default-domain opset.</summary>
    public byte[] ToModel(long irVersion = 9, long opset = 19)
    {
        var model = new ModelProto
        {
            IrVersion = irVersion,
            ProducerName = "ModelPlatform.Testing",
            ProducerVersion = "1",
            ModelVersion = 1,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = opset });
        return model.ToByteArray();
    }

    public string Save(string path, long irVersion = 9, long opset = 19)
    {
        File.WriteAllBytes(path, ToModel(irVersion, opset));
        return path;
    }

    private static ValueInfoProto ValueInfo(string valueName, OnnxType type, object[] dimensions)
    {
        var shape = new TensorShapeProto();
        foreach (var dimension in dimensions)
        {
            shape.Dim.Add(dimension switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                IConvertible number => new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(number, System.Globalization.CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"Dimension {dimension} is neither a number nor a name.", nameof(dimensions)),
            });
        }

        return new ValueInfoProto
        {
            Name = valueName,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
