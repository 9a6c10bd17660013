using Microsoft.ML.OnnxRuntime;
using ModelPlatform.SampleInference.Protocol;

namespace ModelPlatform.SampleInference.Runtime;

/// <summary>The inputs and outputs of a loaded model, read from the model itself.</summary>
internal sealed class ModelSignature
{
    private ModelSignature(IReadOnlyList<TensorSpec> inputs, IReadOnlyList<TensorSpec> outputs)
    {
        Inputs = inputs;
        Outputs = outputs;
        InputsByName = inputs.ToDictionary(spec => spec.Name, StringComparer.Ordinal);
        OutputsByName = outputs.ToDictionary(spec => spec.Name, StringComparer.Ordinal);
        OutputNames = [.. outputs.Select(spec => spec.Name)];
    }

    public IReadOnlyList<TensorSpec> Inputs { get; }

    public IReadOnlyList<TensorSpec> Outputs { get; }

    public IReadOnlyDictionary<string, TensorSpec> InputsByName { get; }

    public IReadOnlyDictionary<string, TensorSpec> OutputsByName { get; }

    public string[] OutputNames { get; }

    /// <summary>
    /// Reads the signature. Inputs must be tensors of a V2 datatype, since nothing else can be sent;
    /// outputs that are not (a scikit-learn ZipMap, say) are left out, with their names returned so
    /// the caller can say so.
    /// </summary>
    public static ModelSignature Read(InferenceSession session, out IReadOnlyList<string> skippedOutputs)
    {
        var inputs = new List<TensorSpec>();
        foreach (var (name, metadata) in session.InputMetadata)
        {
            if (!TryDescribe(name, metadata, out var spec))
            {
                throw new NotSupportedException(
                    $"Model input '{name}' is a {metadata.OnnxValueType} that the Open Inference Protocol cannot carry; only tensors of a V2 datatype can be served.");
            }

            inputs.Add(spec);
        }

        var outputs = new List<TensorSpec>();
        var skipped = new List<string>();
        foreach (var (name, metadata) in session.OutputMetadata)
        {
            if (TryDescribe(name, metadata, out var spec))
            {
                outputs.Add(spec);
            }
            else
            {
                skipped.Add(name);
            }
        }

        if (outputs.Count == 0)
        {
            throw new NotSupportedException("The model has no tensor output that the Open Inference Protocol can carry.");
        }

        skippedOutputs = skipped;
        return new ModelSignature(inputs, outputs);
    }

    private static bool TryDescribe(string name, NodeMetadata metadata, out TensorSpec spec)
    {
        spec = null!;
        if (!metadata.IsTensor || !V2Datatype.TryFromElementType(metadata.ElementDataType, out var datatype))
        {
            return false;
        }

        var shape = metadata.Dimensions.Select(dimension => dimension < 0 ? -1L : dimension).ToArray();
        spec = new TensorSpec(name, metadata.ElementDataType, datatype, shape);
        return true;
    }
}
