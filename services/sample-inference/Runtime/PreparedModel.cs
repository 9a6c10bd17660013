namespace ModelPlatform.SampleInference.Runtime;

/// <summary>
/// A session created and warmed up, with what is worth telling the operator about how: preparation
/// may run before logging exists, so it reports instead of logging.
/// </summary>
/// <param name="Model">The session and its signature.</param>
/// <param name="CudaUnavailable">Why CUDA was not used although the options allowed it; null when it was, or was not asked for.</param>
/// <param name="SkippedOutputs">Outputs that are not tensors of a V2 datatype, and so are not served.</param>
/// <param name="WarmUpFailure">Why the warm-up run on zeros failed (the model is served anyway); null when it ran or was off.</param>
/// <param name="Elapsed">How long creating the session and warming it up took.</param>
internal sealed record PreparedModel(
    LoadedModel Model,
    string? CudaUnavailable,
    IReadOnlyList<string> SkippedOutputs,
    string? WarmUpFailure,
    TimeSpan Elapsed);
