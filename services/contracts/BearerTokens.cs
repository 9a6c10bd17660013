using System.Security.Cryptography;
using System.Text;

namespace ModelPlatform.Contracts;

/// <summary>
/// Secrets the platform hands out (the deployer's API tokens, end users' API keys): generated with
/// 256 bits of entropy, stored and compared only as SHA-256 hashes, and kept in files only the owner reads.
/// </summary>
public static class BearerTokens
{
    /// <summary>A fresh token: 32 random bytes, base64url without padding.</summary>
    public static string Generate() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// The lower-case hex SHA-256 of a token. A plain hash, not a slow password hash: the tokens are
    /// random with 256 bits of entropy, so no dictionary or brute force can invert it, and a fast hash
    /// keeps checking a token on every request cheap.
    /// </summary>
    public static string Sha256Hex(string token) => Convert.ToHexStringLower(Sha256(token));

    public static byte[] Sha256(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>Whether <paramref name="text"/> is a hex SHA-256 (64 hex digits, either case).</summary>
    public static bool IsSha256Hex(string? text) => text is { Length: 64 } && text.All(char.IsAsciiHexDigit);

    /// <summary>
    /// The token in <paramref name="path"/>, creating the file with a fresh token, readable and
    /// writable by its owner only (0600), when there is none. <paramref name="created"/> says which.
    /// </summary>
    public static string ReadOrCreateFile(string path, out bool created)
    {
        ArgumentNullException.ThrowIfNull(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            var token = Generate();
            using (var writer = new StreamWriter(path, Encoding.ASCII, options))
            {
                writer.Write(token);
                writer.Write('\n');
            }

            created = true;
            return token;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Someone else (the app host, an earlier run) made it first: use theirs.
            created = false;
            return ReadFile(path);
        }
    }

    /// <summary>The token in a file (a mounted secret, a generated token file), whitespace trimmed.</summary>
    public static string ReadFile(string path)
    {
        var token = File.ReadAllText(path).Trim();
        return token.Length > 0 ? token : throw new InvalidDataException($"The token file {path} is empty.");
    }
}
