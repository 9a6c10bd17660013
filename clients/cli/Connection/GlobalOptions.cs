using System.CommandLine;
using ModelPlatform.Cli.Output;

namespace ModelPlatform.Cli.Connection;

/// <summary>The options every command takes (recursive on the root command): where to connect, with what, and how to print.</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Deployer { get; } = new("--deployer")
    {
        Description = $"The deployer's URL. Default: ${ConnectionSettings.DeployerVariable}, else {ConnectionSettings.DefaultDeployer}",
        Recursive = true,
        HelpName = "url",
    };

    public Option<string?> Gateway { get; } = new("--gateway")
    {
        Description = $"The gateway's URL. Default: ${ConnectionSettings.GatewayVariable}, else the address the deployer reports for the model",
        Recursive = true,
        HelpName = "url",
    };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = $"The deployer's API token. Default: ${ConnectionSettings.TokenVariable}, ${ConnectionSettings.TokenFileVariable}, else the quickstart's .data/deployer/admin-token here or above",
        Recursive = true,
    };

    public Option<FileInfo?> TokenFile { get; } = new("--token-file")
    {
        Description = "A file holding the deployer's API token",
        Recursive = true,
        HelpName = "path",
    };

    public Option<OutputFormat> Output { get; } = new("--output", "-o")
    {
        Description = "human (default), or json: one document on stdout, for scripts",
        Recursive = true,
        HelpName = "human|json",
        DefaultValueFactory = _ => OutputFormat.Human,
        CustomParser = result => result.Tokens.Single().Value.ToLowerInvariant() switch
        {
            "human" => OutputFormat.Human,
            "json" => OutputFormat.Json,
            var other => Refuse(result, other),
        },
    };

    private static OutputFormat Refuse(System.CommandLine.Parsing.ArgumentResult result, string value)
    {
        result.AddError($"--output is human or json, not '{value}'.");
        return OutputFormat.Human;
    }

    public IEnumerable<Option> All => [Deployer, Gateway, Token, TokenFile, Output];
}
