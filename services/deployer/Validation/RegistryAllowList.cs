using System.Diagnostics.CodeAnalysis;

namespace ModelPlatform.Deployer.Validation;

/// <summary>
/// <c>Deployer:AllowedRegistries</c>: the registries, or repository prefixes on a registry, that
/// image variants may come from. An entry <c>ghcr.io/acme</c> allows <c>ghcr.io/acme/model</c> and
/// <c>ghcr.io/acme/team/model</c> but not <c>ghcr.io/acmecorp/model</c>; <c>registry.example.com</c>
/// allows anything on that registry. Short names resolve to docker.io first (<c>nginx</c> is
/// <c>docker.io/library/nginx</c>), so they need a <c>docker.io</c> entry. No entries allow any image.
/// </summary>
internal sealed class RegistryAllowList
{
    private readonly IReadOnlyList<RegistryEntry> _entries;

    public RegistryAllowList(IEnumerable<string> entries)
    {
        Entries = [.. entries];
        _entries = [.. Entries.Select(entry => TryParseEntry(entry, out var parsed, out var error)
            ? parsed
            : throw new ArgumentException($"'{entry}' {error}", nameof(entries)))];
    }

    /// <summary>The entries as configured, for messages.</summary>
    public IReadOnlyList<string> Entries { get; }

    public bool Allows(ImageName image) =>
        _entries.Count == 0 || _entries.Any(entry => entry.Allows(image));

    /// <summary>An entry is a registry host, optionally followed by a repository path prefix; never a tag or digest.</summary>
    public static bool TryParseEntry(string entry, [NotNullWhen(true)] out RegistryEntry? parsed, [NotNullWhen(false)] out string? error)
    {
        parsed = null;
        var trimmed = (entry ?? string.Empty).Trim().TrimEnd('/');
        var slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        var registry = slash < 0 ? trimmed : trimmed[..slash];
        var prefix = slash < 0 ? null : trimmed[(slash + 1)..];
        if (!OciReference.IsDomain(registry) || !OciReference.LooksLikeRegistry(registry))
        {
            error = "must start with a registry host (with a '.' or a port, or 'localhost'), e.g. ghcr.io/acme or registry.example.com.";
            return false;
        }

        if (prefix is not null && !OciReference.IsRepositoryPath(prefix))
        {
            error = "has a repository prefix that is not a lower-case repository path (no tag or digest), e.g. ghcr.io/acme.";
            return false;
        }

        registry = registry.ToLowerInvariant();
        parsed = new RegistryEntry(registry == "index.docker.io" ? OciReference.DefaultRegistry : registry, prefix);
        error = null;
        return true;
    }
}

/// <summary>One allow-list entry: a registry and, optionally, the repository path images must be under.</summary>
internal sealed record RegistryEntry(string Registry, string? RepositoryPrefix)
{
    public bool Allows(ImageName image) =>
        image.Registry == Registry
        && (RepositoryPrefix is null
            || image.Repository == RepositoryPrefix
            || image.Repository.StartsWith(RepositoryPrefix + "/", StringComparison.Ordinal));
}
