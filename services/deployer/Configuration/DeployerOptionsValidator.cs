using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Validation;

namespace ModelPlatform.Deployer.Configuration;

/// <summary>The checks data annotations cannot express: the registry allow-list's entries and the model URI schemes.</summary>
internal sealed class DeployerOptionsValidator : IValidateOptions<DeployerOptions>
{
    /// <summary>The schemes some runtime can load a model from; listing another could only mislead.</summary>
    public static readonly IReadOnlySet<string> LoadableSchemes = new HashSet<string>(StringComparer.Ordinal) { ModelUri.FileScheme };

    public ValidateOptionsResult Validate(string? name, DeployerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
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
}
