using ModelPlatform.Cli.Commands;

namespace ModelPlatform.Cli.Tests;

/// <summary>The command line itself: what is refused before anything is sent, with exit code 2.</summary>
public sealed class ParsingTests
{
    // Nothing listens here: a command that got past parsing would fail with 3, not 2.
    private static readonly string[] Nowhere = ["--deployer", "http://127.0.0.1:1"];

    [Theory]
    [InlineData("traffic fraud 101", "percent must be 0 to 100")]
    [InlineData("traffic fraud -1", "percent must be 0 to 100")]
    [InlineData("traffic fraud many", "percent must be 0 to 100, not 'many'")]
    [InlineData("delete fraud --timeout 0", "--timeout must be a whole number of at least 1")]
    [InlineData("deploy model.onnx --env NOEQUALS", "--env takes KEY=VALUE")]
    [InlineData("deploy model.onnx --interval 0", "--interval must be 0.01 to 60 seconds, not '0'")]
    [InlineData("deploy model.onnx --interval soon", "--interval must be 0.01 to 60 seconds, not 'soon'")]
    [InlineData("list --output xml", "--output is human or json")]
    [InlineData("logs fraud --variant blue", "blue")]
    [InlineData("status", "Required argument missing")]
    [InlineData("list --frobnicate", "--frobnicate")]
    [InlineData("", "Required command was not provided")]
    [InlineData("infer fraud", "--input")]
    public async Task A_malformed_command_line_exits_2_and_says_what_is_wrong(string line, string expected)
    {
        var result = await InProcessCli.RunAsync([.. line.Split(' ', StringSplitOptions.RemoveEmptyEntries), .. Nowhere]);

        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.Contains("--help' for usage", result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Out);
    }

    [Fact]
    public async Task Deploying_a_file_that_does_not_exist_exits_2_naming_the_path()
    {
        var folder = Directory.CreateTempSubdirectory("mp-empty-").FullName;

        var result = await InProcessCli.RunAsync(["deploy", "missing.onnx", .. Nowhere], currentDirectory: folder);

        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        Assert.Contains(Path.Combine(folder, "missing.onnx"), result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_is_not_an_error_even_without_the_required_arguments()
    {
        var result = await InProcessCli.RunAsync(["deploy", "--help"]);

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("--canary", result.Out, StringComparison.Ordinal);
        Assert.Contains("--rollout", result.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://127.0.0.1/")]
    public async Task A_deployer_url_that_is_not_http_exits_2(string url)
    {
        var result = await InProcessCli.RunAsync(["list", "--deployer", url]);

        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        Assert.Contains("--deployer must be an absolute http(s) URL", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fraud.onnx", "fraud")]
    [InlineData("/models/Fraud_Detector v2.onnx", "fraud-detector-v2")]
    [InlineData("2024-model.onnx", "model-2024-model")]
    [InlineData("___.onnx", "model")]
    [InlineData("a-very-long-model-name-that-goes-on-and-on-beyond-what-a-label-may-hold.onnx", "a-very-long-model-name-that-goes-on-and-on-beyond-wh")]
    public void A_deployment_name_from_a_file_name_is_a_dns_label(string file, string expected)
    {
        var name = DeploymentNames.FromFileName(file);

        Assert.Equal(expected, name);
        Assert.Matches("^[a-z]([-a-z0-9]*[a-z0-9])?$", name);
        Assert.True(name.Length <= 52);
    }
}
