using ModelPlatform.Contracts;

namespace ModelPlatform.SampleInference.Configuration;

/// <summary>Resolves where the model file is and what it is called, from the options.</summary>
internal static class ModelLocation
{
    public static string BundledModelPath =>
        Path.Combine(AppContext.BaseDirectory, "models", InferenceServerOptions.BundledModelName + ".onnx");

    /// <summary>The local file path of the model, or an error saying why the URI is not usable.</summary>
    public static bool TryResolvePath(string? modelUri, out string path, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(modelUri))
        {
            path = BundledModelPath;
            return true;
        }

        if (!ModelUri.TryGetLocalPath(modelUri, requireAbsolute: false, out path, out var problem))
        {
            error = $"MODEL_URI {problem}";
            return false;
        }

        return true;
    }

    public static string DefaultModelName(string? modelUri, string path) =>
        string.IsNullOrWhiteSpace(modelUri)
            ? InferenceServerOptions.BundledModelName
            : Path.GetFileNameWithoutExtension(path).ToLowerInvariant();
}
