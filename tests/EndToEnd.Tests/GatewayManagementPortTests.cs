using System.Globalization;
using System.Net;
using System.Text.Json;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.EndToEnd.Tests;

/// <summary>
/// <c>Gateway:ManagementPort</c>: the probes and <c>/metrics</c> on a port of their own, which the
/// cluster keeps off the public Service, and on no public one.
/// </summary>
public sealed class GatewayManagementPortTests : IDisposable
{
    private readonly FakeHttpServer _model = new(_ => Task.FromResult((200, "{}")));
    private readonly FakeHttpServer _deployer;

    public GatewayManagementPortTests()
    {
        var table = JsonSerializer.Serialize(
            new RouteTable(1, [new ModelRoute("m", [new VariantRoute(VariantNames.Stable, 100, [_model.BaseAddress.ToString().TrimEnd('/')])])]),
            DeployerHarness.Json);
        _deployer = new FakeHttpServer(async request =>
        {
            if (request.QueryString["watch"] == "true")
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }

            return (200, table);
        });
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _deployer.Dispose();
        _model.Dispose();
    }

    public static TheoryData<string> ManagementPaths => ["/healthz", "/readyz", "/metrics", "/METRICS/", "/Readyz"];

    [Theory]
    [MemberData(nameof(ManagementPaths))]
    public async Task Probes_and_metrics_answer_on_the_management_port_and_on_no_public_one(string path)
    {
        var (rest, grpc, management) = (FreePort.Next(), FreePort.Next(), FreePort.Next());
        await using var gateway = Start(rest, ("Gateway__GrpcPort", Text(grpc)), ("Gateway__ManagementPort", Text(management)));
        using var client = new HttpClient();
        await WaitUntilOkAsync(client, $"http://127.0.0.1:{management}/readyz", gateway);

        using var managed = await client.GetAsync(new Uri($"http://127.0.0.1:{management}{path}"), Ct);
        using var publicPort = await client.GetAsync(new Uri($"http://127.0.0.1:{rest}{path}"), Ct);
        using var grpcPort = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{grpc}{path}"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        }, Ct);

        Assert.Equal(HttpStatusCode.OK, managed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, publicPort.StatusCode);
        Assert.Contains("on this port", await publicPort.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, grpcPort.StatusCode);
    }

    [Fact]
    public async Task Models_answer_on_the_public_port_and_not_on_the_management_port()
    {
        var (rest, management) = (FreePort.Next(), FreePort.Next());
        await using var gateway = Start(rest, ("Gateway__ManagementPort", Text(management)));
        using var client = new HttpClient();
        await WaitUntilOkAsync(client, $"http://127.0.0.1:{management}/readyz", gateway);

        using var served = await client.GetAsync(new Uri($"http://127.0.0.1:{rest}/v2/models/m/ready"), Ct);
        using var refused = await client.GetAsync(new Uri($"http://127.0.0.1:{management}/v2/models/m/ready"), Ct);

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        // The served request is counted a moment after its answer reaches the caller.
        var metrics = string.Empty;
        for (var attempt = 0; attempt < 100 && !metrics.Contains("gateway_requests_total{", StringComparison.Ordinal); attempt++)
        {
            metrics = await client.GetStringAsync(new Uri($"http://127.0.0.1:{management}/metrics"), Ct);
            await Task.Delay(20, Ct);
        }

        Assert.Contains("gateway_requests_total{", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Given_http_ports_instead_of_urls_the_management_port_binds_beside_them()
    {
        var (rest, management) = (FreePort.Next(), FreePort.Next());
        await using var gateway = Start(rest, urls: false, ("ASPNETCORE_HTTP_PORTS", Text(rest)), ("Gateway__ManagementPort", Text(management)));
        using var client = new HttpClient();
        await WaitUntilOkAsync(client, $"http://127.0.0.1:{management}/readyz", gateway);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri($"http://127.0.0.1:{rest}/v2/models/m/ready"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri($"http://127.0.0.1:{rest}/metrics"), Ct)).StatusCode);
    }

    [Fact]
    public async Task Rest_addresses_that_overlap_bind_the_extra_ports_once_each()
    {
        // localhost is 127.0.0.1 too: bound for each host, the extra ports would be taken the second time.
        var (rest, other, grpc, management) = (FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next());
        await using var gateway = Start(rest, urls: false, ("ASPNETCORE_URLS", $"http://localhost:{rest};http://127.0.0.1:{other}"),
            ("Gateway__GrpcPort", Text(grpc)), ("Gateway__ManagementPort", Text(management)));
        using var client = new HttpClient();

        await WaitUntilOkAsync(client, $"http://127.0.0.1:{management}/readyz", gateway);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri($"http://127.0.0.1:{other}/v2/models/m/ready"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri($"http://127.0.0.1:{rest}/v2/models/m/ready"), Ct)).StatusCode);
    }

    [Fact]
    public async Task A_socket_file_address_with_a_management_port_stops_the_start_saying_so()
    {
        var rest = FreePort.Next();
        await using var gateway = Start(rest, urls: false, ("ASPNETCORE_URLS", $"http://unix:{Path.Combine(Path.GetTempPath(), $"gateway-{rest}.sock")}"),
            ("Gateway__ManagementPort", Text(FreePort.Next())));

        var code = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, code);
        Assert.Contains("is a socket file or pipe; give TCP addresses", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_management_port_the_probes_and_metrics_share_the_public_port()
    {
        var rest = FreePort.Next();
        await using var gateway = Start(rest);
        using var client = new HttpClient();

        await WaitUntilOkAsync(client, $"http://127.0.0.1:{rest}/readyz", gateway);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri($"http://127.0.0.1:{rest}/metrics"), Ct)).StatusCode);
    }

    [Fact]
    public async Task A_management_port_that_is_also_the_public_one_stops_the_start_saying_so()
    {
        var rest = FreePort.Next();
        await using var gateway = Start(rest, ("Gateway__ManagementPort", Text(rest)));

        var code = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, code);
        Assert.Contains($"Gateway:ManagementPort {rest} is also a REST or the gRPC port", gateway.Output, StringComparison.Ordinal);
    }

    private ServerProcess Start(int port, params (string Key, string Value)[] settings) => Start(port, urls: true, settings);

    private ServerProcess Start(int port, bool urls, params (string Key, string Value)[] settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["Deployer__Url"] = _deployer.BaseAddress.ToString(),
            ["Deployer__Token"] = "token",
            ["Deployer__ReconnectDelay"] = "00:00:00.100",
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        return ServerProcess.Start(RepositoryPaths.ServiceDll("gateway", "ModelPlatform.Gateway"), port, environment, urls ? ["--urls", $"http://127.0.0.1:{port}"] : []);
    }

    private static async Task WaitUntilOkAsync(HttpClient client, string url, ServerProcess gateway)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            try
            {
                using var response = await client.GetAsync(new Uri(url), Ct);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100, Ct);
        }

        Assert.Fail($"{url} never answered 200.\n{gateway.Output}");
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
}
