using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelPlatform.Testing;

namespace ModelPlatform.EndToEnd.Tests;

/// <summary>The gateway keeps serving its last route table while the deployer is down.</summary>
public sealed class DeployerOutageTests : IAsyncLifetime
{
    private readonly SuiteFixture _suite = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _suite.InitializeAsync();

    public ValueTask DisposeAsync() => _suite.DisposeAsync();

    [Fact]
    public async Task The_gateway_serves_while_the_deployer_is_down_and_reconnects_after()
    {
        await _suite.DeployAsync("steady", _suite.ModelVariant(), null, 0, Ct);

        // A crash: the replicas live on, the deployer does not answer.
        await _suite.KillAsync();
        await Task.Delay(1500, Ct);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal((200, "stable"), await _suite.InferAsync("steady", null, Ct));
        }

        var health = await _suite.Gateway.GetFromJsonAsync<JsonObject>("/readyz", Ct);
        Assert.Equal("Degraded", health!["status"]!.GetValue<string>());
        Assert.False(health["checks"]!["routes"]!["data"]!["deployerReachable"]!.GetValue<bool>());

        await _suite.StartAsync();
        await _suite.WaitForReadyAsync("steady", Ct);
        var reconnected = false;
        for (var i = 0; i < 100 && !reconnected; i++)
        {
            var again = await _suite.Gateway.GetFromJsonAsync<JsonObject>("/readyz", Ct);
            reconnected = again!["checks"]!["routes"]!["data"]!["deployerReachable"]!.GetValue<bool>();
            await Task.Delay(100, Ct);
        }

        Assert.True(reconnected);
        Assert.Equal((200, "stable"), await _suite.InferAsync("steady", null, Ct));
    }
}
