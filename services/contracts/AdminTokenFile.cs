using System.Security.Cryptography;

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

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The token file's path, creating it with a new random token if it does not exist.</summary>
    public static string EnsureExists(string dataDirectory, out bool created)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        var directory = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        created = false;
        if (!File.Exists(path))
        {
            try
            {
                // CreateNew: two processes starting at once must not both write (one would lose).
                var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    create.UnixCreateMode = OwnerOnly;
                }

                using var stream = new FileStream(path, create);
                using var writer = new StreamWriter(stream);
                writer.Write("mp_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_'));
                created = true;
            }
            catch (IOException) when (File.Exists(path))
            {
            }
        }

        // A copy restored without its mode must not stay readable by others.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, OwnerOnly);
        }

        return path;
    }

    public static string Read(string path) => File.ReadAllText(path).Trim();
}
