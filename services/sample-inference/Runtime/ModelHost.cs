namespace ModelPlatform.SampleInference.Runtime;

/// <summary>
/// Holds the one model this server serves and its state. Readiness is "loaded, warmed up and not
/// draining", which is what probes, the V2 ready endpoints and the infer endpoint all consult.
/// </summary>
internal sealed class ModelHost(string name, string version) : IDisposable
{
    private volatile LoadedModel? _model;
    private volatile string? _failure;
    private volatile bool _draining;

    public string Name { get; } = name;

    public string Version { get; } = version;

    public LoadedModel? Model => _model;

    public ModelState State => _model is not null ? ModelState.Ready : _failure is not null ? ModelState.Failed : ModelState.Loading;

    public bool IsDraining => _draining;

    public bool IsReady => _model is not null && !_draining;

    /// <summary>Why the model is not ready, in words for a probe's or a client's error.</summary>
    public string NotReadyReason => _draining
        ? "the server is shutting down"
        : _failure is { } failure ? $"the model failed to load: {failure}" : "the model is still loading";

    public void SetLoaded(LoadedModel model) => _model = model;

    public void SetFailed(string reason) => _failure = reason;

    public void BeginDrain() => _draining = true;

    public bool Serves(string modelName) => string.Equals(modelName, Name, StringComparison.Ordinal);

    public void Dispose() => _model?.Dispose();
}
