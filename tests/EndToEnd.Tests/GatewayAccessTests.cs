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
            new ModelRoute("dead", [new VariantRoute("stable", 100, [$"http://127.0.0.1:{FreePort.Next()}"])]),
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
            ["Gateway__MaxRequestBodyBytes"] = "4096",
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

        using var prefixed = await _client.GetAsync("/models/locked/v2/health/ready", Ct);

        foreach (var response in new[] { none, wrong, wrongBearer })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Contains("locked", await V2ErrorAsync(response), StringComparison.Ordinal);
        }

        // Off the protocol's paths, the gateway's errors stay problem details.
        Assert.Equal(HttpStatusCode.Unauthorized, prefixed.StatusCode);
        Assert.Equal("application/problem+json", prefixed.Content.Headers.ContentType?.MediaType);

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
    public async Task A_caller_with_a_key_cannot_reach_a_replicas_operational_endpoints()
    {
        void WithKey(HttpRequestMessage request) => request.Headers.Add("x-api-key", Key);
        using var metrics = await SendAsync("/models/locked/metrics", WithKey);
        using var health = await SendAsync("/models/locked/healthz", WithKey);
        using var trace = await SendAsync("/v2/models/locked/trace/setting", WithKey);
        using var own = await SendAsync("/models/locked/v1/models/locked:predict", WithKey);

        Assert.Equal(HttpStatusCode.NotFound, metrics.StatusCode);
        Assert.Equal("application/problem+json", metrics.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, health.StatusCode);
        Assert.Contains("locked", await V2ErrorAsync(trace, HttpStatusCode.NotFound), StringComparison.Ordinal);
        // (The gateway's own health checks call /v2/health/ready on the replica, so that path proves nothing here.)
        Assert.DoesNotContain(_model.Requests, request => request.Path is "/metrics" or "/healthz" or "/v2/models/locked/trace/setting");

        // The container's own API under /models/{name} still gets through.
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Contains(_model.Requests, request => request.Path == "/v1/models/locked:predict");
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
            Assert.Contains("retry after", await V2ErrorAsync(limited), StringComparison.Ordinal);
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

    [Fact]
    public async Task Every_error_the_gateway_makes_on_v2_paths_has_the_protocols_error_body()
    {
        using var unknownModel = await _client.PostAsync("/v2/models/nobody/infer", new StringContent("{}"), Ct);
        using var unknownPath = await _client.GetAsync("/v2/nothing/here", Ct);
        using var wrongMethod = await _client.PostAsync("/v2/health/live", new StringContent("{}"), Ct);
        using var badPin = await SendAsync("/v2/models/open/ready", request => request.Headers.Add("x-model-variant", "blue"));
        using var tooLarge = await _client.PostAsync("/v2/models/open/infer", new StringContent(new string('x', 8192)), Ct);

        Assert.Contains("nobody", await V2ErrorAsync(unknownModel, HttpStatusCode.NotFound), StringComparison.Ordinal);
        Assert.NotEmpty(await V2ErrorAsync(unknownPath, HttpStatusCode.NotFound));
        Assert.Contains("POST", await V2ErrorAsync(wrongMethod, HttpStatusCode.MethodNotAllowed), StringComparison.Ordinal);
        Assert.Contains("x-model-variant", await V2ErrorAsync(badPin, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        Assert.NotEmpty(await V2ErrorAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge));
    }

    [Fact]
    public async Task Off_v2_paths_the_gateways_errors_are_problem_details()
    {
        using var unknownModel = await _client.GetAsync("/models/nobody/anything", Ct);
        using var unknownPath = await _client.GetAsync("/nothing/here", Ct);

        Assert.Equal(HttpStatusCode.NotFound, unknownModel.StatusCode);
        Assert.Equal("application/problem+json", unknownModel.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, unknownPath.StatusCode);
        Assert.Equal("application/problem+json", unknownPath.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_model_without_a_live_replica_is_not_ready_and_its_calls_get_the_protocols_error_body()
    {
        // Its only replica listens nowhere: the first call fails over to nothing (502); health checks then take it out (503).
        using var infer = await _client.PostAsync("/v2/models/dead/infer", new StringContent("{}"), Ct);
        Assert.Contains(infer.StatusCode, new[] { HttpStatusCode.BadGateway, HttpStatusCode.ServiceUnavailable });
        Assert.Contains("dead", await V2ErrorAsync(infer), StringComparison.Ordinal);

        HttpResponseMessage? ready = null;
        for (var i = 0; i < 600 && ready?.StatusCode != HttpStatusCode.BadRequest; i++)
        {
            ready?.Dispose();
            ready = await _client.GetAsync("/v2/models/dead/ready", Ct);
            await Task.Delay(50, Ct);
        }

        using (ready)
        {
            Assert.Equal(HttpStatusCode.BadRequest, ready!.StatusCode);
            Assert.Empty(await ready.Content.ReadAsByteArrayAsync(Ct));
        }

        using var unknownReady = await _client.GetAsync("/v2/models/nobody/ready", Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknownReady.StatusCode);
        Assert.Empty(await unknownReady.Content.ReadAsByteArrayAsync(Ct));
    }

    private static async Task<string> V2ErrorAsync(HttpResponseMessage response, HttpStatusCode? status = null)
    {
        if (status is { } expected)
        {
            Assert.Equal(expected, response.StatusCode);
        }

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("error", Assert.Single(body.RootElement.EnumerateObject()).Name);
        return body.RootElement.GetProperty("error").GetString()!;
    }

    private async Task<HttpResponseMessage> SendAsync(string path, Action<HttpRequestMessage> configure)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        configure(request);
        return await _client.SendAsync(request, Ct);
    }
}
