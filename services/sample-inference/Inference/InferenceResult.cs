using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelPlatform.SampleInference.Inference;

/// <summary>One output of a run, and whether the client wants it in binary form.</summary>
internal sealed record OutputTensor(string Name, OrtValue Value, TensorElementType ElementType, long[] Shape, bool Binary);

/// <summary>The outputs of one run; owns the native tensors until the response is written.</summary>
internal sealed class InferenceResult(IDisposable values, IReadOnlyList<OutputTensor> outputs) : IDisposable
{
    public IReadOnlyList<OutputTensor> Outputs { get; } = outputs;

    public void Dispose() => values.Dispose();
}
