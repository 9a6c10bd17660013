using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Hosting;
using ModelPlatform.Gateway.Mirroring;
using ModelPlatform.ServiceDefaults;

namespace ModelPlatform.Gateway.Tests.Mirroring;

/// <summary>
/// The real gateway, in process (its YARP pipeline and its mirroring), watching a stand-in deployer
/// whose route table names model <c>m</c> with a stable and a canary replica (stand-ins too), and
/// taking its comparison reports.
/// </summary>
internal sealed class MirrorGateway : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly WebApplication _app;
    private readonly HttpStandIn _deployer;
    private readonly RecentLogs _logs;
    private volatile RouteTable _table;

    private MirrorGateway(WebApplication app, HttpStandIn deployer, RecentLogs logs, RouteTable table)
    {
        _app = app;
        _deployer = deployer;
        _logs = logs;
        _table = table;
    }

    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromMinutes(2) };

    public Uri BaseAddress => new(_app.Urls.First());

    public MirrorStats Stats => _app.Services.GetRequiredService<MirrorStats>();

    /// <summary>The comparison reports the gateway sent to the deployer.</summary>
    public IEnumerable<GatewayComparisonReport> Reports => _deployer.Requests
        .Where(r => r.PathAndQuery == "/" + ComparisonReporter.ReportsPath)
        .Select(r => JsonSerializer.Deserialize<GatewayComparisonReport>(r.Body, Json)!);

    public static RouteTable Table(long version, Uri stable, string canary, int canaryWeight, int mirror, string canarySet = "m-canary-1") =>
        new(version, [new ModelRoute("m", [
            new VariantRoute(VariantNames.Stable, 100 - canaryWeight, [stable.ToString().TrimEnd('/')], ReplicaSet: "m-stable-1"),
            new VariantRoute(VariantNames.Canary, canaryWeight, [canary.TrimEnd('/')], ReplicaSet: canarySet)], Mirror: mirror)]);

    public static async Task<MirrorGateway> StartAsync(
        RouteTable table, IDictionary<string, string?>? settings, CancellationToken cancellationToken, Action<IServiceCollection>? services = null)
    {
        MirrorGateway? gateway = null;
        var deployer = await HttpStandIn.StartAsync(async context =>
        {
            if (context.Request.Path == "/v1/routes")
            {
                // A watch answers when the table moves, or after a while: the gateway does not spin.
                var after = context.Request.Query["after"].ToString();
                for (var waited = 0; after.Length > 0 && after == gateway!._table.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) && waited < 20; waited++)
                {
                    await Task.Delay(100, context.RequestAborted);
                }

                await context.Response.WriteAsJsonAsync(gateway!._table, Json, context.RequestAborted);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }, cancellationToken);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var logs = new RecentLogs();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Deployer:Url"] = deployer.BaseAddress.ToString(),
            ["Deployer:Token"] = "gateway-test-token",
            ["Gateway:Telemetry:ReportInterval"] = "00:00:00.200",
            ["Gateway:ActiveHealthInterval"] = "00:00:00.500",
            // A probe that times out on a busy machine would take the canary out of rotation and turn copies into canary errors.
            ["Gateway:ActiveHealthTimeout"] = "00:00:30",
            ["Logging:LogLevel:Default"] = "Debug",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.AddGateway();
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGateway();
        gateway = new MirrorGateway(app, deployer, logs, table);
        await app.StartAsync(cancellationToken);
        await gateway.WaitUntilAsync(async () => (await gateway.Client.GetAsync(new Uri(gateway.BaseAddress, "/v2/models/m/ready"), cancellationToken)).IsSuccessStatusCode, cancellationToken);
        return gateway;
    }

    /// <summary>Publishes another route table; the gateway applies it with its next watch.</summary>
    public void Publish(RouteTable table) => _table = table;

    /// <summary>Sends an inference request through the gateway.</summary>
    public Task<HttpResponseMessage> InferAsync(string body, CancellationToken cancellationToken, string? pin = null, string? requestId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseAddress, "/v2/models/m/infer"))
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        if (pin is not null)
        {
            request.Headers.Add("x-model-variant", pin);
        }

        if (requestId is not null)
        {
            request.Headers.Add("x-request-id", requestId);
        }

        return Client.SendAsync(request, cancellationToken);
    }

    /// <summary>The model's totals now, for the canary replica set <paramref name="canary"/>.</summary>
    public ComparisonCounts? CountsOf(string canary = "m-canary-1") =>
        Stats.Snapshot(static (_, _) => true).SingleOrDefault(c => c.Model == "m" && c.Canary == canary);

    /// <summary>Waits, with a generous deadline, until <paramref name="condition"/> holds; a timeout says what the gateway counted and logged.</summary>
    public Task WaitUntilAsync(Func<Task<bool>> condition, CancellationToken cancellationToken) =>
        WaitUntilAsync(condition, cancellationToken, () =>
            $"Counts: {JsonSerializer.Serialize(Stats.Snapshot(static (_, _) => true), Json)}{Environment.NewLine}Gateway log:{Environment.NewLine}{_logs}");

    public Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken) => WaitUntilAsync(() => Task.FromResult(condition()), cancellationToken);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, CancellationToken cancellationToken, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The condition did not hold within 60 s. {describe?.Invoke()}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.DisposeAsync();
        await _deployer.DisposeAsync();
    }
}
