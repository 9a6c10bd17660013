using ModelPlatform.Cli.Http;
using ModelPlatform.Testing;

namespace ModelPlatform.Cli.Tests;

/// <summary>How `mp` decides the gateway serves a model: its readiness through the gateway.</summary>
public sealed class GatewayClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(200, true)]
    [InlineData(400, false)]
    [InlineData(404, false)]
    [InlineData(502, false)]
    [InlineData(503, false)]
    public async Task The_gateway_serves_a_model_when_its_readiness_answers_200_and_not_yet_otherwise(int status, bool serves)
    {
        var paths = new List<string>();
        using var gateway = new FakeHttpServer(request =>
        {
            lock (paths)
            {
                paths.Add(request.Url!.AbsolutePath);
            }

            return Task.FromResult((status, string.Empty));
        });
        using var http = new HttpClient();

        var served = await new GatewayClient(http, gateway.BaseAddress).ServesAsync("fraud", "canary", Ct);

        Assert.Equal(serves, served);
        Assert.Equal(["/v2/models/fraud/ready"], paths);
        Assert.Equal("canary", gateway.Requests.Single().Headers[GatewayClient.VariantHeader]);
    }
}
