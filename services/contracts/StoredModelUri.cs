using System.Diagnostics.CodeAnalysis;

namespace ModelPlatform.Contracts;

/// <summary>
/// <c>models:/{name}</c> (the newest version when a deployment is requested) and
/// <c>models:/{name}@sha256:{hex}</c> (exactly those bytes): model URIs that name a file in the
/// deployer's model store.
/// </summary>
public sealed record StoredModelUri(string Name, string? Digest)
{
    private static readonly System.Buffers.SearchValues<char> Hex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>The scheme with its colon and slash, as the URIs start.</summary>
    public const string Prefix = "models:/";

    /// <summary>The prefix of a digest: SHA-256 is the one algorithm the store uses.</summary>
    public const string DigestPrefix = "sha256:";

    /// <summary>Whether <paramref name="uri"/> is meant as a store URI (well-formed or not).</summary>
    public static bool IsStoreUri(string uri) => uri?.StartsWith(Prefix, StringComparison.Ordinal) == true;

    /// <summary>
    /// Parses a store URI; the name is checked for its shape only (a model's own rules apply when it
    /// is looked up), the digest for being 64 lower-case hex digits.
    /// </summary>
    public static bool TryParse(string uri, [NotNullWhen(true)] out StoredModelUri? parsed, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(uri);
        parsed = null;
        if (!IsStoreUri(uri))
        {
            error = $"'{uri}' does not start with {Prefix}.";
            return false;
        }

        var rest = uri[Prefix.Length..];
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        var name = at < 0 ? rest : rest[..at];
        var digest = at < 0 ? null : rest[(at + 1)..];
        if (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')))
        {
            error = $"'{uri}' must be {Prefix}{{name}} or {Prefix}{{name}}@{DigestPrefix}{{hex}}, with a model name of lower-case letters, digits and '-'.";
            return false;
        }

        if (digest is not null && !IsDigest(digest))
        {
            error = $"'{digest}' is not a digest: write {DigestPrefix} and the SHA-256 as 64 lower-case hex digits.";
            return false;
        }

        parsed = new StoredModelUri(name, digest);
        error = null;
        return true;
    }

    /// <summary>Whether <paramref name="digest"/> is <c>sha256:</c> and 64 lower-case hex digits.</summary>
    public static bool IsDigest(string digest) =>
        digest is not null && digest.StartsWith(DigestPrefix, StringComparison.Ordinal) && digest.Length == DigestPrefix.Length + 64 &&
        !digest.AsSpan(DigestPrefix.Length).ContainsAnyExcept(Hex);

    /// <summary>The URI of one exact version.</summary>
    public static string Pinned(string name, string digest) => $"{Prefix}{name}@{digest}";

    public override string ToString() => Digest is null ? Prefix + Name : Pinned(Name, Digest);
}
