using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.EndToEnd.Tests;

/// <summary>
/// The gateway's API keys and per-model rate limits, against a stand-in deployer whose route table
/// names a stand-in model that records what reaches it.
/// </summary>
public sealed class GatewayAccessTests : IAsyncLifetime
{
    private const string DeployerToken = "gateway-reader-token";
    private static readonly string Key = BearerTokens.Generate();

    private readonly FakeHttpServer _model = new(_ => Task.FromResult((200, "{}")));
    private FakeHttpServer _deployer = null!;
    private ServerProcess _gateway = null!;
    private HttpClient _client = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var endpoint = _model.BaseAddress.ToString().TrimEnd('/');
        var table = new RouteTable(1,
        [
            new ModelRoute("locked", [new VariantRoute("stable", 100, [endpoint])], [new ApiKeySpec { Name = "app", Sha256 = BearerTokens.Sha256Hex(Key) }]),
            new ModelRoute("open", [new VariantRoute("stable", 100, [endpoint])]),
            new ModelRoute("limited", [new VariantRoute("stable", 100, [endpoint])], null, new RateLimitSpec { RequestsPerSecond = 1, Burst = 2 }),
        ]);
        var json = JsonSerializer.Serialize(table, DeployerHarness.Json);
        _deployer = new FakeHttpServer(async request =>
        {
            if (request.Headers["Authorization"] != $"Bearer {DeployerToken}")
            {
                return (401, "{}");
            }

            if (request.QueryString["watch"] == "true")
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }

            return (200, json);
        });

        var port = FreePort.Next();
        _gateway = ServerProcess.Start(RepositoryPaths.ServiceDll("gateway", "ModelPlatform.Gateway"), port, new Dictionary<string, string>
        {
            ["Deployer__Url"] = _deployer.BaseAddress.ToString(),
            ["Deployer__Token"] = DeployerToken,
            ["Gateway__ActiveHealthInterval"] = "00:00:00.500",
            ["Logging__LogLevel__Default"] = "Warning",
        }, "--urls", $"http://127.0.0.1:{port}");
        await _gateway.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));
        _client = new HttpClient { BaseAddress = _gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        _deployer.Dispose();
        _model.Dispose();
    }

    [Fact]
    public void The_gateway_reads_the_route_table_with_its_token()
    {
        Assert.NotEmpty(_deployer.Requests);
        Assert.All(_deployer.Requests, request => Assert.Equal($"Bearer {DeployerToken}", request.Headers["authorization"]));
    }

    [Fact]
    public async Task A_model_with_keys_refuses_a_call_without_one_or_with_a_wrong_one()
    {
        using var none = await _client.GetAsync("/v2/models/locked/ready", Ct);
        using var wrong = await SendAsync("/v2/models/locked/ready", request => request.Headers.Add("x-api-key", "wrong"));
        using var wrongBearer = await SendAsync("/v2/models/locked/ready", request => request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "wrong"));

        foreach (var response in new[] { none, wrong, wrongBearer })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.DoesNotContain(_model.Requests, request => request.Path.StartsWith("/v2/models/locked", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("x-api-key")]
    [InlineData("authorization")]
    public async Task The_right_key_gets_through_and_the_model_never_sees_it(string header)
    {
        using var response = await SendAsync($"/v2/models/locked/ready?via={header}", request =>
        {
            if (header == "x-api-key")
            {
                request.Headers.Add("x-api-key", Key);
            }
            else
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            }
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(_model.Requests, request => request.Path == "/v2/models/locked/ready");
        Assert.False(seen.Headers.ContainsKey("x-api-key"));
        Assert.False(seen.Headers.ContainsKey("authorization"));
    }

    [Fact]
    public async Task A_model_without_keys_is_open()
    {
        using var response = await _client.GetAsync("/v2/models/open/ready", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_client_past_the_models_rate_limit_gets_429_with_retry_after()
    {
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 20 && limited is null; i++)
        {
            var response = await _client.GetAsync("/v2/models/limited/ready", Ct);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        using (limited)
        {
            Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        }

        // The limit is the model's: another model is not affected.
        using var open = await _client.GetAsync("/v2/models/open/ready", Ct);
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
    }

    [Fact]
    public async Task Headers_over_the_gateways_limit_get_431()
    {
        using var response = await SendAsync("/v2/models/open/ready", request => request.Headers.Add("x-padding", new string('x', 40 * 1024)));

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    private async Task<HttpResponseMessage> SendAsync(string path, Action<HttpRequestMessage> configure)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        configure(request);
        return await _client.SendAsync(request, Ct);
    }
}
