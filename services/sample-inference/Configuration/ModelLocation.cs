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

    /// <summary>Whether the model is downloaded (an absolute <c>http</c> or <c>https</c> URL) rather than read from a file.</summary>
    public static bool IsRemote(string? modelUri, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? url) =>
        Uri.TryCreate(modelUri, UriKind.Absolute, out url) && url.Scheme is "http" or "https";

    public static string DefaultModelName(string? modelUri, string path) =>
        string.IsNullOrWhiteSpace(modelUri)
            ? InferenceServerOptions.BundledModelName
            : IsRemote(modelUri, out var url)
                ? Path.GetFileNameWithoutExtension(url.AbsolutePath).ToLowerInvariant()
                : Path.GetFileNameWithoutExtension(path).ToLowerInvariant();
}
