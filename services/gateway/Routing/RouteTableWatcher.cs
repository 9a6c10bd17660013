using System.Net;
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
/// watch reconnects with backoff. A refused token is an error an operator must fix: it is logged as
/// one, naming where the token came from.
/// </summary>
internal sealed partial class RouteTableWatcher(
    IHttpClientFactory clients,
    InMemoryConfigProvider proxyConfig,
    RouteTableState state,
    DeployerToken token,
    IOptions<GatewayOptions> gateway,
    IOptions<DeployerConnectionOptions> deployer,
    ILogger<RouteTableWatcher> logger) : BackgroundService
{
    public const string ClientName = "deployer";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = deployer.Value.ReconnectDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            var version = state.Table?.Version;
            try
            {
                // A client per call, so the factory can rotate its handlers (DNS changes, pooled connections).
                var client = clients.CreateClient(ClientName);

                // Relative, so a base path in Deployer:Url (a Dapr invoke URL, say) is kept.
                var path = version is null ? "v1/routes" : $"v1/routes?watch=true&after={version}";
                using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, stoppingToken);
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    var status = (int)response.StatusCode;
                    state.Unreachable($"the deployer refused the gateway's token ({status})");
                    LogRefused(logger, deployer.Value.Url, status, token.Source, delay.TotalMilliseconds);
                    delay = await BackOffAsync(delay, stoppingToken);
                    continue;
                }

                response.EnsureSuccessStatusCode();
                var table = Validate(await response.Content.ReadFromJsonAsync<RouteTable>(Json, stoppingToken));

                // A version below ours means the deployer lost its state and starts over: follow it.
                if (table.Version != version)
                {
                    var (routes, clusters) = ProxyConfigBuilder.Build(table, gateway.Value);
                    // The table's API keys, rate limits and mirrors first, then the routes: YARP applies an update
                    // at once, and a request it routes by the new table must not be judged by the old one (a model
                    // added with keys would be open for that moment, its first requests not mirrored).
                    state.Applied(table);
                    proxyConfig.Update(routes, clusters);
                    state.Routed(table);
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
            catch (TaskCanceledException) when (version is not null && !stoppingToken.IsCancellationRequested)
            {
                // The long poll outlived our HTTP timeout (a deployer configured with a longer watch): poll again.
            }
#pragma warning disable CA1031 // Whatever goes wrong, the last table keeps serving and the watch retries.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                // The reason shown by the health check names no host, port or exception text; the log has them.
                state.Unreachable(Describe(ex));
                LogUnreachable(logger, deployer.Value.Url, ex.Message, delay.TotalMilliseconds);
                delay = await BackOffAsync(delay, stoppingToken);
            }
        }
    }

    private async Task<TimeSpan> BackOffAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        await Task.Delay(delay, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
        return TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, deployer.Value.MaxReconnectDelay.Ticks));
    }

    private static string Describe(Exception error) => error switch
    {
        HttpRequestException { StatusCode: { } status } => $"the deployer answered {(int)status}",
        HttpRequestException => "the deployer cannot be reached",
        TaskCanceledException => "the deployer did not answer in time",
        JsonException or InvalidDataException => "the deployer answered a malformed route table",
        IOException or UnauthorizedAccessException => "the deployer token could not be read",
        _ => "the route watch failed",
    };

    private static RouteTable Validate(RouteTable? table)
    {
        if (table?.Models is null || table.Models.Any(model => model?.Name is null || model.Variants is null ||
                model.Variants.Any(variant => variant?.Name is null || variant.Endpoints is null || variant.Weight is < 0 or > 100) ||
                model.ApiKeys?.Any(key => key?.Name is null || !BearerTokens.IsSha256Hex(key.Sha256)) == true))
        {
            throw new InvalidDataException("The deployer answered a malformed route table.");
        }

        return table;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Route table version {Version} applied: {Models} models")]
    private static partial void LogApplied(ILogger logger, long version, int models);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployer at {Url} unreachable ({Reason}); serving the last route table, retrying in {DelayMs} ms")]
    private static partial void LogUnreachable(ILogger logger, string url, string reason, double delayMs);

    [LoggerMessage(Level = LogLevel.Error, Message =
        "The deployer at {Url} refused the gateway's token with {Status}: the token from {Source} is not one the deployer accepts " +
        "(401: unknown or rotated token; 403: its role cannot read routes). The gateway serves no new route table until it is fixed: " +
        "set Deployer:TokenFile (or Deployer:Token) to a token the deployer holds with the reader role or above. Retrying in {DelayMs} ms")]
    private static partial void LogRefused(ILogger logger, string url, int status, string source, double delayMs);
}
