namespace ModelPlatform.Gateway.Mirroring;

/// <summary>Headers of the Open Inference Protocol's binary tensor data extension.</summary>
internal static class InferenceHeaders
{
    /// <summary>The length of the JSON header that starts a binary request or answer body.</summary>
    public const string HeaderLength = "Inference-Header-Content-Length";
}
