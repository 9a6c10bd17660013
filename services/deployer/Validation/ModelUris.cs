namespace ModelPlatform.Deployer.Validation;

/// <summary>Model URIs the embedded runtime accepts: an absolute path or a <c>file://</c> URI.</summary>
internal static class ModelUris
{
    public static bool TryGetLocalPath(string uri, out string path, out string? error)
    {
        path = string.Empty;
        error = null;
        if (uri.Any(char.IsControl))
        {
            error = "must not contain control characters.";
            return false;
        }

        if (uri.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed))
            {
                error = $"'{uri}' is not a valid URI.";
                return false;
            }

            if (!parsed.IsFile)
            {
                error = $"scheme '{parsed.Scheme}' is not supported: use an absolute path or a file:// URI.";
                return false;
            }

            path = parsed.LocalPath;
            return true;
        }

        if (!Path.IsPathFullyQualified(uri))
        {
            error = $"'{uri}' must be an absolute path or a file:// URI.";
            return false;
        }

        path = Path.GetFullPath(uri);
        return true;
    }
}
