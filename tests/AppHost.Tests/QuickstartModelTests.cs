using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.AppHost.Tests;

/// <summary>The app host's quickstart against stand-ins for the deployer and the gateway: it says why a model is not served.</summary>
public sealed class QuickstartModelTests : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("modelplatform-quickstart-").FullName;
    private readonly List<WebApplication> _servers = [];
    private readonly RecordingLogger _logger = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_deployer_that_refuses_the_token_is_reported_with_its_answer_and_the_token_file()
    {
        var deployer = await StartAsync(app => app.MapPut("/v1/deployments/{name}", () => Results.Unauthorized()));
        var target = Target(deployer, deployer);

        await QuickstartModel.RunAsync(target, _logger, Ct);

        var error = Assert.Single(_logger.Entries, entry => entry.Level == LogLevel.Error);
        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        Assert.Contains(target.TokenFile, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gateway_that_is_not_ready_is_reported_with_its_readiness_answer()
    {
        const string Readiness = """{"status":"Unhealthy","checks":{"routes":{"status":"Unhealthy","description":"The deployer answered 401 Unauthorized"}}}""";
        var deployer = await StartAsync(app =>
        {
            app.MapPut("/v1/deployments/{name}", () => Results.Accepted());
            app.MapGet("/v1/deployments/{name}", (string name) => Results.Json(new { name, status = new { phase = DeploymentPhase.Ready } }));
        });
        var gateway = await StartAsync(app =>
        {
            app.MapGet("/v2/models/{name}/ready", () => Results.StatusCode(503));
            app.MapGet("/readyz", () => Results.Text(Readiness, "application/json", statusCode: 503));
        });

        await QuickstartModel.RunAsync(Target(deployer, gateway) with { ReportAfter = TimeSpan.Zero, GiveUpAfter = TimeSpan.FromSeconds(1) }, _logger, Ct);

        Assert.Contains(_logger.Entries, entry => entry.Level == LogLevel.Warning && entry.Message.Contains("The deployer answered 401 Unauthorized", StringComparison.Ordinal));
        Assert.Contains(_logger.Entries, entry => entry.Level == LogLevel.Error && entry.Message.Contains("The deployer answered 401 Unauthorized", StringComparison.Ordinal));
        Assert.DoesNotContain(_logger.Entries, entry => entry.Message.Contains("is served as", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_served_model_is_announced_once_with_its_addresses()
    {
        var deployer = await StartAsync(app =>
        {
            app.MapPut("/v1/deployments/{name}", () => Results.Accepted());
            app.MapGet("/v1/deployments/{name}", (string name) => Results.Json(new { name, status = new { phase = DeploymentPhase.Ready } }));
        });
        var gateway = await StartAsync(app => app.MapGet("/v2/models/{name}/ready", () => Results.Ok()));

        await QuickstartModel.RunAsync(Target(deployer, gateway), _logger, Ct);

        var served = Assert.Single(_logger.Entries);
        Assert.Equal(LogLevel.Information, served.Level);
        Assert.Contains($"{gateway}v2/models/{QuickstartModel.Name}/infer", served.Message, StringComparison.Ordinal);
    }

    private QuickstartTarget Target(Uri deployer, Uri gateway) =>
        new(deployer, gateway, AdminTokenFile.EnsureExists(_folder, out _)) { PollInterval = TimeSpan.FromMilliseconds(20) };

    private async Task<Uri> StartAsync(Action<WebApplication> map)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        _servers.Add(app);
        await app.StartAsync(Ct);
        return new Uri($"http://127.0.0.1:{port}/");
    }
}
