using ModelPlatform.SampleInference.Configuration;

namespace ModelPlatform.SampleInference.Runtime;

/// <summary>
/// Everything that decides how a model file becomes a ready session. A value, so that a model
/// prepared before the host was built (<see cref="ModelPreload"/>) is used only when the host's final
/// options still ask for exactly it.
/// </summary>
internal sealed record SessionSettings(
    string Path,
    ExecutionProviderPreference ExecutionProvider,
    int CudaDeviceId,
    int IntraOpThreads,
    int InterOpThreads,
    bool AllowSpinning,
    bool WarmUp)
{
    public static SessionSettings From(string path, InferenceServerOptions options) => new(
        path, options.ExecutionProvider, options.CudaDeviceId, options.IntraOpThreads, options.InterOpThreads, options.AllowSpinning, options.WarmUp);
}
