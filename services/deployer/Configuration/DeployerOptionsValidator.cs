using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Security;

namespace ModelPlatform.Deployer.Configuration;

/// <summary>
/// What data annotations on the top level cannot see: the nested sections' own annotations, and
/// tokens that name a role and carry a hash of the right form. A bad token entry stops the start.
/// </summary>
internal sealed class DeployerOptionsValidator : IValidateOptions<DeployerOptions>
{
    public ValidateOptionsResult Validate(string? name, DeployerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (section, value) in new (string, object)[] { ("Auth", options.Auth), ("RateLimit", options.RateLimit), ("Processes", options.Processes) })
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true))
            {
                failures.AddRange(results.Select(result => $"Deployer:{section}: {result.ErrorMessage}"));
            }
        }

        for (var i = 0; i < options.Auth.Tokens.Count; i++)
        {
            var token = options.Auth.Tokens[i];
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

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
