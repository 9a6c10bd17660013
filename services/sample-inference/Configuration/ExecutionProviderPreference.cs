namespace ModelPlatform.SampleInference.Configuration;

/// <summary>Which ONNX Runtime execution provider the server asks for.</summary>
public enum ExecutionProviderPreference
{
    /// <summary>CUDA when its libraries load, CPU otherwise.</summary>
    Auto,

    /// <summary>CPU only, even on a GPU machine.</summary>
    Cpu,

    /// <summary>CUDA or fail to start: for GPU deployments that must not silently run on CPU.</summary>
    Cuda,
}
