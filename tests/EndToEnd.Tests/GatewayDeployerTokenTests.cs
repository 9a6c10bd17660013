using System.Net;
using System.Text.Json;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.EndToEnd.Tests;

/// <summary>
/// How the gateway gets and keeps its token to the deployer: a rotated token file is picked up
/// without a restart, a refused token is an error that says what to set, and the gateway alone reads
/// the quickstart's token file by default.
/// </summary>
public sealed class GatewayDeployerTokenTests : IDisposable
{
    private readonly FakeHttpServer _model = new(_ => Task.FromResult((200, "{}")));
    private readonly FakeHttpServer _deployer;
    private readonly string _directory = Directory.CreateTempSubdirectory("gateway-token-").FullName;
    private volatile string _accepted = "first-token";
    private volatile string _table;

    public GatewayDeployerTokenTests()
    {
        _table = Table(1, "before");
        _deployer = new FakeHttpServer(async request =>
        {
            if (request.Headers["Authorization"] != $"Bearer {_accepted}")
            {
                return (401, "{}");
            }

            if (request.QueryString["watch"] == "true")
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }

            return (200, _table);
        });
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _deployer.Dispose();
        _model.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_rotated_token_file_is_picked_up_and_the_watch_recovers_without_a_restart()
    {
        var tokenFile = Path.Combine(_directory, "token");
        await File.WriteAllTextAsync(tokenFile, "first-token\n", Ct);
        await using var gateway = await StartAsync(_directory, new() { ["Deployer__TokenFile"] = tokenFile });
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/models/before/ready", Ct)).StatusCode);

        // The Secret is rotated: the deployer now accepts only the new token, and has a new table.
        await File.WriteAllTextAsync(tokenFile, "second-token\n", Ct);
        File.SetLastWriteTimeUtc(tokenFile, DateTime.UtcNow.AddSeconds(5));
        _accepted = "second-token";
        _table = Table(2, "after");

        var status = await WaitForAsync(client, "/v2/models/after/ready", HttpStatusCode.OK);
        Assert.True(status == HttpStatusCode.OK, $"The gateway never followed the deployer after the rotation.\n{gateway.Output}");
        Assert.Contains(_deployer.Requests, request => request.Headers.GetValueOrDefault("authorization") == "Bearer second-token");
    }

    [Fact]
    public async Task A_refused_token_is_logged_as_an_error_naming_its_source_and_what_to_set()
    {
        await using var gateway = await StartAsync(_directory, new() { ["Deployer__Token"] = "not-a-token-the-deployer-holds" }, waitUntilReady: false);
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress };

        for (var i = 0; i < 600 && !gateway.Output.Contains("refused the gateway's token", StringComparison.Ordinal); i++)
        {
            await Task.Delay(50, Ct);
        }

        var output = gateway.Output;
        Assert.Contains("fail: ModelPlatform.Gateway.Routing.RouteTableWatcher", output, StringComparison.Ordinal);
        Assert.Contains("refused the gateway's token with 401", output, StringComparison.Ordinal);
        Assert.Contains("from Deployer:Token", output, StringComparison.Ordinal);
        Assert.Contains("set Deployer:TokenFile", output, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-token-the-deployer-holds", output, StringComparison.Ordinal);

        // Not ready, as the protocol's health API says it: a 4xx without a body. The route watch starts
        // before the server listens, so the refusal can be logged before there is anyone to ask.
        await gateway.WaitUntilOkAsync("/v2/health/live", TimeSpan.FromSeconds(60), Ct);
        using var ready = await client.GetAsync("/v2/health/ready", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, ready.StatusCode);
        Assert.Empty(await ready.Content.ReadAsByteArrayAsync(Ct));
    }

    [Fact]
    public async Task Alone_without_a_token_the_gateway_reads_the_quickstarts_token_file()
    {
        var data = Directory.CreateDirectory(Path.Combine(_directory, ".data", "deployer"));
        await File.WriteAllTextAsync(Path.Combine(data.FullName, AdminTokenFile.FileName), "first-token\n", Ct);

        await using var gateway = await StartAsync(_directory, []);

        using var client = new HttpClient { BaseAddress = gateway.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/models/before/ready", Ct)).StatusCode);
    }

    [Fact]
    public async Task Alone_without_a_token_or_the_quickstarts_file_the_gateway_stops_saying_what_to_set()
    {
        await using var gateway = await StartAsync(_directory, [], waitUntilReady: false);

        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Deployer:TokenFile", gateway.Output, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_directory, ".data", "deployer", AdminTokenFile.FileName), gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_on_the_public_port_names_no_deployer_host_or_port()
    {
        var deadPort = FreePort.Next();
        await using var gateway = await StartAsync(_directory, new()
        {
            ["Deployer__Token"] = "first-token",
            ["Deployer__Url"] = $"http://127.0.0.1:{deadPort}",
        }, waitUntilReady: false);
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress };

        var readiness = string.Empty;
        for (var i = 0; i < 600 && !readiness.Contains("cannot be reached", StringComparison.Ordinal); i++)
        {
            await Task.Delay(50, Ct);
            try
            {
                using var response = await client.GetAsync("/readyz", Ct);
                readiness = await response.Content.ReadAsStringAsync(Ct);
            }
            catch (HttpRequestException)
            {
            }
        }

        Assert.Contains("cannot be reached", readiness, StringComparison.Ordinal);
        Assert.DoesNotContain(deadPort.ToString(System.Globalization.CultureInfo.InvariantCulture), readiness, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", readiness, StringComparison.Ordinal);
    }

    private async Task<ServerProcess> StartAsync(string workingDirectory, Dictionary<string, string> environment, bool waitUntilReady = true)
    {
        var port = FreePort.Next();
        environment.TryAdd("Deployer__Url", _deployer.BaseAddress.ToString());
        environment["Deployer__ReconnectDelay"] = "00:00:00.100";
        environment["Deployer__MaxReconnectDelay"] = "00:00:00.500";
        var gateway = ServerProcess.StartIn(workingDirectory, RepositoryPaths.ServiceDll("gateway", "ModelPlatform.Gateway"), port, environment,
            "--urls", $"http://127.0.0.1:{port}");
        if (waitUntilReady)
        {
            await gateway.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60), Ct);
        }

        return gateway;
    }

    private static async Task<HttpStatusCode> WaitForAsync(HttpClient client, string path, HttpStatusCode expected)
    {
        var status = HttpStatusCode.NotFound;
        for (var i = 0; i < 600 && status != expected; i++)
        {
            using var response = await client.GetAsync(path, Ct);
            status = response.StatusCode;
            await Task.Delay(50, Ct);
        }

        return status;
    }

    private string Table(long version, string model) => JsonSerializer.Serialize(
        new RouteTable(version, [new ModelRoute(model, [new VariantRoute(VariantNames.Stable, 100, [_model.BaseAddress.ToString().TrimEnd('/')])])]),
        DeployerHarness.Json);
}
