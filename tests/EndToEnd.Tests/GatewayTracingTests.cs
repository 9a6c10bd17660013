using System.Text.Json;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.EndToEnd.Tests;

/// <summary>
/// Without a trace exporter the gateway records no spans: it starts no activity per request (the
/// request log scope that would start one is off by default, see docs/benchmarks.md), so a caller's
/// trace context reaches the model exactly as the caller sent it, and none is made up for a caller
/// that sent none.
/// </summary>
public sealed class GatewayTracingTests : IAsyncLifetime
{
    private const string DeployerToken = "gateway-reader-token";

    private readonly FakeHttpServer _model = new(_ => Task.FromResult((200, "{}")));
    private FakeHttpServer _deployer = null!;
    private ServerProcess _gateway = null!;
    private HttpClient _client = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var table = new RouteTable(1, [new ModelRoute("traced", [new VariantRoute("stable", 100, [_model.BaseAddress.ToString().TrimEnd('/')])])]);
        var json = JsonSerializer.Serialize(table, DeployerHarness.Json);
        _deployer = new FakeHttpServer(async request =>
        {
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
    public async Task A_callers_traceparent_reaches_the_model_unchanged()
    {
        const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/traced/versions/1/infer") { Content = new StringContent("{}") };
        request.Headers.TryAddWithoutValidation("traceparent", TraceParent);
        request.Headers.TryAddWithoutValidation("tracestate", "vendor=value");

        using var response = await _client.SendAsync(request, Ct);

        response.EnsureSuccessStatusCode();
        var seen = Assert.Single(_model.Requests, r => r.Path == "/v2/models/traced/versions/1/infer");
        Assert.Equal(TraceParent, seen.Headers["traceparent"]);
        Assert.Equal("vendor=value", seen.Headers["tracestate"]);
    }

    [Fact]
    public async Task A_call_without_trace_context_reaches_the_model_without_one()
    {
        using var response = await _client.PostAsync("/v2/models/traced/versions/2/infer", new StringContent("{}"), Ct);

        response.EnsureSuccessStatusCode();
        var seen = Assert.Single(_model.Requests, r => r.Path == "/v2/models/traced/versions/2/infer");
        Assert.False(seen.Headers.ContainsKey("traceparent"), $"traceparent: {seen.Headers.GetValueOrDefault("traceparent")}");
    }
}
