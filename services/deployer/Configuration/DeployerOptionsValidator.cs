using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Security;
using ModelPlatform.Deployer.Validation;

namespace ModelPlatform.Deployer.Configuration;

/// <summary>
/// The checks data annotations on the top level cannot express: the nested sections' own
/// annotations, tokens that name a role and carry a hash of the right form, the registry
/// allow-list's entries and the model URI schemes. Any failure stops the start.
/// </summary>
internal sealed class DeployerOptionsValidator : IValidateOptions<DeployerOptions>
{
    /// <summary>The schemes some runtime can load a model from; listing another could only mislead.</summary>
    public static readonly IReadOnlySet<string> LoadableSchemes = new HashSet<string>(StringComparer.Ordinal) { ModelUri.FileScheme };

    public ValidateOptionsResult Validate(string? name, DeployerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (section, value) in new (string, object)[] { ("Auth", options.Auth), ("RateLimit", options.RateLimit), ("Processes", options.Processes), ("Kubernetes", options.Kubernetes), ("Dapr", options.Dapr), ("Models", options.Models) })
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true))
            {
                failures.AddRange(results.Select(result => $"Deployer:{section}: {result.ErrorMessage}"));
            }
        }

        ValidateTokens(options.Auth.Tokens, failures);
        foreach (var entry in options.AllowedRegistries)
        {
            if (!RegistryAllowList.TryParseEntry(entry, out _, out var error))
            {
                failures.Add($"Deployer:AllowedRegistries: '{entry}' {error}");
            }
        }

        foreach (var scheme in options.ModelUriSchemes.Where(scheme => !LoadableSchemes.Contains(scheme)))
        {
            failures.Add($"Deployer:ModelUriSchemes: '{scheme}' is not a scheme any runtime can load models from (supported: {string.Join(", ", LoadableSchemes)}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateTokens(List<TokenOptions> tokens, List<string> failures)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var at = $"Deployer:Auth:Tokens:{i}";
            if (string.IsNullOrWhiteSpace(token.Name))
            {
                failures.Add($"{at}:Name is required (it is who the audit trail says acted).");
            }

            if (!Roles.All.Contains(token.Role))
            {
                failures.Add($"{at}:Role '{token.Role}' is not one of {string.Join(", ", Roles.All)}.");
            }

            if (token.Sha256.Length != 64 || !token.Sha256.All(char.IsAsciiHexDigit))
            {
                failures.Add($"{at}:Sha256 must be the token's SHA-256 as 64 hex digits (e.g. printf %s \"$TOKEN\" | sha256sum), never the token itself.");
            }
        }
    }
}
