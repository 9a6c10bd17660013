using Microsoft.ML.OnnxRuntime;

namespace ModelPlatform.SampleInference.Runtime;

/// <summary>A model session ready to run, with what it was loaded as.</summary>
internal sealed class LoadedModel(InferenceSession session, ModelSignature signature, string executionProvider, string path)
    : IDisposable
{
    public InferenceSession Session { get; } = session;

    public ModelSignature Signature { get; } = signature;

    /// <summary><c>CUDA</c> or <c>CPU</c>.</summary>
    public string ExecutionProvider { get; } = executionProvider;

    public string Path { get; } = path;

    public void Dispose() => Session.Dispose();
}
