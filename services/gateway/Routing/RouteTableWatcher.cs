using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Configuration;
using Yarp.ReverseProxy.Configuration;

namespace ModelPlatform.Gateway.Routing;

/// <summary>
/// Holds a long-poll watch on the deployer's route table and applies each new version to YARP
/// without a restart. When the deployer does not answer, the last table stays in force and the
/// watch reconnects with backoff.
/// </summary>
internal sealed partial class RouteTableWatcher(
    IHttpClientFactory clients,
    InMemoryConfigProvider proxyConfig,
    RouteTableState state,
    IOptions<GatewayOptions> gateway,
    IOptions<DeployerConnectionOptions> deployer,
    ILogger<RouteTableWatcher> logger) : BackgroundService
{
    public const string ClientName = "deployer";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var client = clients.CreateClient(ClientName);
        var delay = deployer.Value.ReconnectDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            var version = state.Table?.Version;
            try
            {
                var path = version is null ? "/v1/routes" : $"/v1/routes?watch=true&after={version}";
                var table = await client.GetFromJsonAsync<RouteTable>(path, Json, stoppingToken)
                    ?? throw new InvalidDataException("The deployer answered an empty route table.");

                // A version below ours means the deployer lost its state and starts over: follow it.
                if (table.Version != version)
                {
                    var (routes, clusters) = ProxyConfigBuilder.Build(table, gateway.Value);
                    proxyConfig.Update(routes, clusters);
                    state.Applied(table);
                    LogApplied(logger, table.Version, table.Models.Count);
                }
                else
                {
                    state.Reached();
                }

                delay = deployer.Value.ReconnectDelay;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or InvalidDataException)
            {
                state.Unreachable(ex.Message);
                LogUnreachable(logger, deployer.Value.Url, ex.Message, delay.TotalMilliseconds);
                await Task.Delay(delay, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, deployer.Value.MaxReconnectDelay.Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Route table version {Version} applied: {Models} models")]
    private static partial void LogApplied(ILogger logger, long version, int models);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployer at {Url} unreachable ({Reason}); serving the last route table, retrying in {DelayMs} ms")]
    private static partial void LogUnreachable(ILogger logger, string url, string reason, double delayMs);
}
