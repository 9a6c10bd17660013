using ModelPlatform.Testing;

namespace ModelPlatform.Cli.Tests;

/// <summary>
/// A real deployer and a gateway following it, as processes; the deployer reports the gateway as
/// its public URL (Deployer:PublicUrl), as the app host's does, so the CLI finds the gateway from
/// the deployment's <c>status.url</c> without being told.
/// </summary>
public sealed class CliSuiteFixture : DeployerHarness, IAsyncLifetime
{
    private readonly int _gatewayPort = FreePort.Next();
    private ServerProcess? _gateway;

    public Uri GatewayAddress => new($"http://127.0.0.1:{_gatewayPort}/");

    public ServerProcess GatewayProcess => _gateway ?? throw new InvalidOperationException("not started");

    protected override Dictionary<string, string> Settings() => new() { ["Deployer__PublicUrl"] = GatewayAddress.ToString().TrimEnd('/') };

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        _gateway = ServerProcess.Start(RepositoryPaths.ServiceDll("gateway", "ModelPlatform.Gateway"), _gatewayPort, new Dictionary<string, string>
        {
            ["Deployer__Url"] = BaseAddress.ToString(),
            ["Deployer__Token"] = Tokens["gateway"],
            ["Deployer__MaxReconnectDelay"] = "00:00:00.500",
            ["Gateway__ActiveHealthInterval"] = "00:00:00.500",
            ["Logging__LogLevel__Default"] = "Warning",
        }, "--urls", GatewayAddress.ToString().TrimEnd('/'));
        await _gateway.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));
    }

    /// <summary>What a user's shell has: where the deployer is and a token (an operator's is not enough to deploy, so the admin's).</summary>
    public Dictionary<string, string> UserEnvironment(string? token = null) => new()
    {
        ["MODELPLATFORM_DEPLOYER_URL"] = BaseAddress.ToString(),
        ["MODELPLATFORM_TOKEN"] = token ?? Tokens["admin"],
    };

    public override async ValueTask DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}
