using System.Text.Json.Nodes;

namespace ModelPlatform.Cli.Tests;

/// <summary>
/// The runtime settings that keep a command of a few seconds cheap travel in mp's runtimeconfig.json,
/// the file `dotnet tool install` puts beside the tool, not in an environment a user would have to set.
/// </summary>
public sealed class StartupSettingsTests
{
    [Theory]
    [InlineData("System.Runtime.TieredCompilation.CallCountingDelayMs", "10000")]
    [InlineData("System.Runtime.TieredPGO", "false")]
    [InlineData("System.Diagnostics.Metrics.Meter.IsSupported", "false")]
    [InlineData("System.Diagnostics.Tracing.EventSource.IsSupported", "false")]
    [InlineData("System.Text.Json.JsonSerializer.IsReflectionEnabledByDefault", "false")]
    public void The_built_tool_carries_its_runtime_settings(string property, string value)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(CliProcess.Dll, ".runtimeconfig.json")))!;

        Assert.Equal(value, config["runtimeOptions"]!["configProperties"]![property]?.ToJsonString());
    }
}
