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

        path = modelUri;
        if (modelUri.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(modelUri, UriKind.Absolute, out var uri))
            {
                error = $"MODEL_URI '{modelUri}' is not a valid URI.";
                return false;
            }

            if (!uri.IsFile)
            {
                error = $"MODEL_URI scheme '{uri.Scheme}' is not supported: use a file path or a file:// URI.";
                return false;
            }

            path = uri.LocalPath;
        }

        path = Path.GetFullPath(path);
        return true;
    }

    public static string DefaultModelName(string? modelUri, string path) =>
        string.IsNullOrWhiteSpace(modelUri)
            ? InferenceServerOptions.BundledModelName
            : Path.GetFileNameWithoutExtension(path).ToLowerInvariant();
}
