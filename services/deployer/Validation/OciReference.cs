using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace ModelPlatform.Deployer.Validation;

/// <summary>The OCI image reference grammar (as the distribution project defines it): name, optional tag, optional digest.</summary>
internal static partial class OciReference
{
    /// <summary>Where short names (<c>nginx</c>, <c>acme/model</c>) come from, as Docker and containerd read them.</summary>
    public const string DefaultRegistry = "docker.io";

    private const string DomainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private const string Domain = "(?:" + DomainComponent + "(?:\\." + DomainComponent + ")*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?";
    private const string PathComponent = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
    private const string Name = "(?:" + Domain + "/)?" + PathComponent + "(?:/" + PathComponent + ")*";
    private const string Tag = "[\\w][\\w.-]{0,127}";
    private const string Digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

    /// <summary>
    /// The registry and repository a reference names, normalized the way Docker does
    /// (distribution's <c>ParseNormalizedNamed</c>): a first component without '.' or ':' that is
    /// not <c>localhost</c> is a path on docker.io, and a single-component name there is under
    /// <c>library/</c>.
    /// </summary>
    public static bool TryParse(string reference, [NotNullWhen(true)] out ImageName? image)
    {
        image = null;
        if (Pattern().Match(reference) is not { Success: true } match || match.Groups["name"].Length > 255)
        {
            return false;
        }

        var name = match.Groups["name"].Value;
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        var first = slash < 0 ? string.Empty : name[..slash];
        var (registry, repository) = slash >= 0 && LooksLikeRegistry(first)
            ? (first.ToLowerInvariant(), name[(slash + 1)..])
            : (DefaultRegistry, name);
        if (registry == "index.docker.io")
        {
            registry = DefaultRegistry;
        }

        if (registry == DefaultRegistry && !repository.Contains('/', StringComparison.Ordinal))
        {
            repository = "library/" + repository;
        }

        image = new ImageName(registry, repository);
        return true;
    }

    /// <summary>Whether a name's first component is a registry host rather than a path component.</summary>
    public static bool LooksLikeRegistry(string component) =>
        component.Contains('.', StringComparison.Ordinal) || component.Contains(':', StringComparison.Ordinal)
        || component == "localhost" || component.Any(char.IsUpper);

    public static bool IsDomain(string value) => DomainPattern().IsMatch(value);

    public static bool IsRepositoryPath(string value) => PathPattern().IsMatch(value);

    [GeneratedRegex("^(?<name>" + Name + ")(?::" + Tag + ")?(?:@" + Digest + ")?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    [GeneratedRegex("^" + Domain + "$", RegexOptions.CultureInvariant)]
    private static partial Regex DomainPattern();

    [GeneratedRegex("^" + PathComponent + "(?:/" + PathComponent + ")*$", RegexOptions.CultureInvariant)]
    private static partial Regex PathPattern();
}

/// <summary>A parsed image name: the registry host (lower case, with its port if any) and the repository path on it.</summary>
internal sealed record ImageName(string Registry, string Repository);
