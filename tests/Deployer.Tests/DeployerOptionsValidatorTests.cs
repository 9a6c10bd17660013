using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.Tests;

/// <summary>What the options validator refuses at start, and what it lets through.</summary>
public sealed class DeployerOptionsValidatorTests
{
    [Fact]
    public void Registry_entries_that_are_not_registries_and_schemes_no_runtime_loads_are_refused_by_name()
    {
        var options = new DeployerOptions { AllowedRegistries = ["ghcr.io/acme", "acme"], ModelUriSchemes = ["file", "s3"] };

        var result = new DeployerOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Equal(2, failures.Count);
        Assert.Contains(failures, failure => failure.StartsWith("Deployer:AllowedRegistries: 'acme'", StringComparison.Ordinal));
        Assert.Contains(failures, failure => failure.StartsWith("Deployer:ModelUriSchemes: 's3'", StringComparison.Ordinal));
    }

    [Fact]
    public void The_defaults_and_valid_lists_pass()
    {
        var validator = new DeployerOptionsValidator();

        Assert.True(validator.Validate(null, new DeployerOptions()).Succeeded);
        Assert.True(validator.Validate(null, new DeployerOptions { AllowedRegistries = ["ghcr.io/acme", "localhost:5000"], ModelUriSchemes = ["file"] }).Succeeded);
    }
}
