using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using ModelPlatform.Testing;

namespace ModelPlatform.EndToEnd.Tests;

/// <summary>
/// On Kubernetes the gateway reaches the deployer through its Dapr sidecar's service invocation,
/// <c>http://127.0.0.1:3500/v1.0/invoke/deployer/method/...</c>. A stand-in for the sidecar that
/// forwards only that path checks that the watch keeps the base path (and its token), sends the
/// sidecar's API token (<c>DAPR_API_TOKEN</c>, which the injector sets when the cluster enables it),
/// and works.
/// </summary>
public sealed class SidecarInvokeTests : IAsyncLifetime
{
    private const string InvokePrefix = "/v1.0/invoke/deployer/method";
    private const string DaprApiToken = "sidecar-api-token";

    private readonly DeployerHarness _deployer = new();
    private WebApplication? _sidecar;
    private ServerProcess? _gateway;
    private HttpClient? _forward;
    private int _invoked;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _deployer.InitializeAsync();
        var sidecarPort = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{sidecarPort}");
        _sidecar = builder.Build();
        _forward = new HttpClient { BaseAddress = _deployer.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        _sidecar.Map(InvokePrefix + "/{**method}", async (HttpContext context, string method) =>
        {
            // A sidecar with API token authentication answers 401 to a call without the token.
            if (context.Request.Headers["dapr-api-token"] != DaprApiToken)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            Interlocked.Increment(ref _invoked);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/" + method + context.Request.QueryString);
            request.Headers.TryAddWithoutValidation("Authorization", context.Request.Headers.Authorization.ToString());
            using var response = await _forward!.SendAsync(request, context.RequestAborted);
            context.Response.StatusCode = (int)response.StatusCode;
            context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        });
        await _sidecar.StartAsync(Ct);

        var port = FreePort.Next();
        _gateway = ServerProcess.Start(RepositoryPaths.ServiceDll("gateway", "ModelPlatform.Gateway"), port, new Dictionary<string, string>
        {
            ["Deployer__Url"] = $"http://127.0.0.1:{sidecarPort}{InvokePrefix}/",
            ["Deployer__Token"] = DeployerHarness.Tokens["reader"],
            ["DAPR_API_TOKEN"] = DaprApiToken,
            ["Logging__LogLevel__Default"] = "Warning",
        }, "--urls", $"http://127.0.0.1:{port}");
        await _gateway.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        if (_sidecar is not null)
        {
            await _sidecar.DisposeAsync();
        }

        _forward?.Dispose();

        await _deployer.DisposeAsync();
    }

    [Fact]
    public async Task The_gateway_follows_the_deployer_through_a_sidecar_invoke_url()
    {
        (await _deployer.CreateAsync("invoked", cancellationToken: Ct)).Dispose();
        await _deployer.WaitForReadyAsync("invoked", Ct);
        var version = (await _deployer.RoutesAsync(Ct)).Version;
        using var gateway = new HttpClient { BaseAddress = _gateway!.BaseAddress };

        var seen = 0L;
        for (var i = 0; i < 300 && seen < version; i++)
        {
            var health = await gateway.GetFromJsonAsync<JsonObject>("/readyz", Ct);
            seen = health?["checks"]?["routes"]?["data"]?["routeTableVersion"]?.GetValue<long>() ?? 0;
            await Task.Delay(50, Ct);
        }

        Assert.Equal(version, seen);
        Assert.True(_invoked > 0);
        using var infer = await gateway.PostAsJsonAsync("/v2/models/invoked/infer", SuiteFixture.AddMulInfer(), Ct);
        Assert.True(infer.IsSuccessStatusCode, await infer.Content.ReadAsStringAsync(Ct));
    }
}
