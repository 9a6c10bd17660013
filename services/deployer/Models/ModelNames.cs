using System.Text.RegularExpressions;
using ModelPlatform.Deployer.Validation;

namespace ModelPlatform.Deployer.Models;

/// <summary>
/// What a model may be called: the rules of deployment names (a DNS-1035 label of at most
/// <see cref="DeploymentValidator.MaxNameLength"/> characters), so a model can be deployed under its own name.
/// </summary>
internal static partial class ModelNames
{
    /// <summary>Why <paramref name="name"/> cannot name a model, or null when it can.</summary>
    public static string? WhyInvalid(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "is required: POST /v1/models?name={name}.";
        }

        if (name.Length > DeploymentValidator.MaxNameLength)
        {
            return $"must be at most {DeploymentValidator.MaxNameLength} characters, like a deployment's name.";
        }

        return Dns1035Label().IsMatch(name)
            ? null
            : "must be a DNS-1035 label: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit.";
    }

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1035Label();
}
