namespace ModelPlatform.Contracts;

/// <summary>
/// The quickstart's admin token: made on the first run without configured tokens, kept in the data
/// directory readable by its owner only, reused after. The app host reads the same file to hand the
/// gateway its token.
/// </summary>
public static class AdminTokenFile
{
    public const string FileName = "admin-token";

    public const string IdentityName = "admin";

    /// <summary>The token file's path, creating it with a new random token if it does not exist.</summary>
    public static string EnsureExists(string dataDirectory, out bool created)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        var path = Path.Combine(Path.GetFullPath(dataDirectory), FileName);
        BearerTokens.ReadOrCreateFile(path, out created);

        // A copy restored without its mode must not stay readable by others.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
    }

    public static string Read(string path) => BearerTokens.ReadFile(path);
}
