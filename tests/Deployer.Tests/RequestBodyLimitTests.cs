using System.Net;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>The request body limit is a setting, Deployer:MaxRequestBodySize.</summary>
public sealed class RequestBodyLimitTests(RequestBodyLimitTests.SmallLimitDeployer deployer) : IClassFixture<RequestBodyLimitTests.SmallLimitDeployer>
{
    public sealed class SmallLimitDeployer : DeployerHarness, IAsyncLifetime
    {
        protected override Dictionary<string, string> Settings() => new() { ["Deployer__MaxRequestBodySize"] = "4096" };
    }

    [Fact]
    public async Task A_body_over_the_configured_limit_is_413_and_one_under_it_is_read()
    {
        var ct = TestContext.Current.CancellationToken;

        using var over = await deployer.Client.PostAsync("/v1/deployments", Body(8 * 1024), ct);
        using var under = await deployer.Client.PostAsync("/v1/deployments", Body(2 * 1024), ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, over.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, under.StatusCode);
        Assert.True((await DeployerHarness.ProblemAsync(under, ct))["errors"]!.AsObject().ContainsKey("padding"));
    }

    private static StringContent Body(int size) =>
        new($$"""{"padding": "{{new string('x', size)}}"}""", System.Text.Encoding.UTF8, "application/json");
}
