namespace ModelPlatform.Contracts;

/// <summary>
/// Model URIs as the platform accepts them: a file path or a <c>file://</c> URI. Shared by the
/// deployer (which checks them) and the reference server (which loads them), so both read a URI the
/// same way.
/// </summary>
public static class ModelUri
{
    /// <summary>The scheme of plain paths and <c>file://</c> URIs: the only one a runtime can load today.</summary>
    public const string FileScheme = "file";

    /// <summary>The URI's scheme in lower case (<see cref="FileScheme"/> for a plain path), or null when it is not a valid URI.</summary>
    public static string? SchemeOf(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.Contains("://", StringComparison.Ordinal))
        {
            return FileScheme;
        }

        return Uri.TryCreate(uri, UriKind.Absolute, out var parsed) ? parsed.Scheme.ToLowerInvariant() : null;
    }

    /// <summary>
    /// The local file a model URI names, or the reason it names none. With
    /// <paramref name="requireAbsolute"/>, a relative path is refused rather than resolved against
    /// the current directory (a deployer's and a replica's current directories differ).
    /// </summary>
    public static bool TryGetLocalPath(string uri, bool requireAbsolute, out string path, out string? error)
    {
        ArgumentNullException.ThrowIfNull(uri);
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
                error = $"scheme '{parsed.Scheme}' is not supported: use a file path or a file:// URI.";
                return false;
            }

            path = parsed.LocalPath;
            return true;
        }

        if (requireAbsolute && !Path.IsPathFullyQualified(uri))
        {
            error = $"'{uri}' must be an absolute path or a file:// URI.";
            return false;
        }

        path = Path.GetFullPath(uri);
        return true;
    }
}
