namespace ModelPlatform.SampleInference.Runtime;

/// <summary>Names of the execution providers as the server reports them.</summary>
internal static class ExecutionProviders
{
    public const string Cuda = "CUDA";
    public const string Cpu = "CPU";
}
