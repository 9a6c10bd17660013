using System.Text.RegularExpressions;

namespace ModelPlatform.Deployer.Validation;

/// <summary>The OCI image reference grammar (as the distribution project defines it): name, optional tag, optional digest.</summary>
internal static partial class OciReference
{
    private const string DomainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private const string Domain = "(?:" + DomainComponent + "(?:\\." + DomainComponent + ")*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?";
    private const string PathComponent = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
    private const string Name = "(?:" + Domain + "/)?" + PathComponent + "(?:/" + PathComponent + ")*";
    private const string Tag = "[\\w][\\w.-]{0,127}";
    private const string Digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

    public static bool IsValid(string reference) =>
        Pattern().Match(reference) is { Success: true } match && match.Groups["name"].Length <= 255;

    [GeneratedRegex("^(?<name>" + Name + ")(?::" + Tag + ")?(?:@" + Digest + ")?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
