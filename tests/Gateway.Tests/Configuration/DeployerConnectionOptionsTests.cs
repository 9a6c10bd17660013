using System.ComponentModel.DataAnnotations;
using ModelPlatform.Gateway.Configuration;

namespace ModelPlatform.Gateway.Tests.Configuration;

public sealed class DeployerConnectionOptionsTests
{
    [Fact]
    public void Without_a_token_the_quickstarts_token_file_is_used()
    {
        var options = new DeployerConnectionOptions();

        options.ApplyDefaults();

        Assert.Equal(Path.Combine(".data", "deployer", "admin-token"), options.TokenFile);
        Assert.Contains("quickstart", options.TokenSource, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_quickstart_token_file_fails_saying_what_to_set()
    {
        var options = new DeployerConnectionOptions();
        options.ApplyDefaults();
        Assert.False(File.Exists(options.TokenFile), "the test runs where no quickstart token file exists");

        var error = Assert.Single(Validate(options));

        Assert.Contains("Deployer:TokenFile", error, StringComparison.Ordinal);
        Assert.Contains("Deployer:Token", error, StringComparison.Ordinal);
        Assert.Contains(Path.GetFullPath(options.TokenFile!), error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_token_keeps_the_default_file_out()
    {
        var options = new DeployerConnectionOptions { Token = "t" };

        options.ApplyDefaults();

        Assert.Null(options.TokenFile);
        Assert.Empty(Validate(options));
    }

    [Fact]
    public void Both_a_token_and_a_token_file_is_refused()
    {
        var options = new DeployerConnectionOptions { Token = "t", TokenFile = "/etc/hostname" };

        options.ApplyDefaults();

        Assert.Contains("only one", Assert.Single(Validate(options)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_token_file_that_does_not_exist_is_named()
    {
        var options = new DeployerConnectionOptions { TokenFile = "/nonexistent/token" };

        options.ApplyDefaults();

        Assert.Contains("/nonexistent/token", Assert.Single(Validate(options)), StringComparison.Ordinal);
    }

    private static List<string> Validate(DeployerConnectionOptions options) =>
        [.. options.Validate(new ValidationContext(options)).Select(result => result.ErrorMessage!)];
}
