using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>Settings that cannot work stop the deployer at start, saying which and why.</summary>
public sealed class StartupValidationTests : IAsyncLifetime
{
    private readonly DeployerFixture _deployer = new();

    public ValueTask InitializeAsync() => _deployer.InitializeAsync();

    public ValueTask DisposeAsync() => _deployer.DisposeAsync();

    [Theory]
    [InlineData("Deployer__Auth__Tokens__0__Role", "root", "Deployer:Auth:Tokens:0:Role 'root' is not one of reader, deployer, operator, admin, gateway, model-fetch.")]
    [InlineData("Deployer__Auth__Tokens__0__Sha256", "the-token-itself", "Deployer:Auth:Tokens:0:Sha256 must be the token's SHA-256 as 64 hex digits")]
    [InlineData("Deployer__Processes__ProbeInterval", "00:00:00.001", "Deployer:Processes:")]
    [InlineData("Deployer__RateLimit__Burst", "0", "Deployer:RateLimit:")]
    [InlineData("Deployer__MaxRequestBodySize", "0", "MaxRequestBodySize")]
    [InlineData("Deployer__Telemetry__Source", "Prometheus", "Deployer:Telemetry:Prometheus:Url must be Prometheus's http(s) base URL")]
    [InlineData("Deployer__Telemetry__MinWindow", "00:30:00", "Deployer:Telemetry:MinWindow (00:30:00) is longer than MaxWindow")]
    public async Task A_bad_setting_stops_the_start_naming_it(string key, string value, string message)
    {
        await _deployer.StopAsync();

        await using var refused = _deployer.Launch((key, value));
        var code = await refused.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, code);
        Assert.Contains(message, refused.Output, StringComparison.Ordinal);
    }
}
