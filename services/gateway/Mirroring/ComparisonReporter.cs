using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Routing;
using ModelPlatform.Gateway.Telemetry;

namespace ModelPlatform.Gateway.Mirroring;

/// <summary>
/// Reports the mirror comparisons to the deployer (<c>POST /v1/telemetry/comparisons</c>, gateway
/// role) on the telemetry reports' interval, through the same authenticated client. Totals are
/// cumulative, so a failed report is made up by the next; nothing is sent while nothing mirrors.
/// </summary>
internal sealed partial class ComparisonReporter(
    IHttpClientFactory clients,
    MirrorStats stats,
    MirrorRoutes routes,
    IOptions<MirrorOptions> mirror,
    IOptions<TelemetryOptions> telemetry,
    TimeProvider time,
    ILogger<ComparisonReporter> logger) : BackgroundService
{
    public const string ReportsPath = "v1/telemetry/comparisons";

    private readonly string _gateway = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}"[..^24];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!mirror.Value.ReportToDeployer)
        {
            return;
        }

        var interval = telemetry.Value.ReportInterval;
        using var timer = new PeriodicTimer(interval, time);
        var sequence = 0L;
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var models = stats.Snapshot(routes.IsCurrent);
            if (models.Count == 0)
            {
                continue;
            }

            await SendAsync(new GatewayComparisonReport(_gateway, ++sequence, models), interval, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task SendAsync(GatewayComparisonReport report, TimeSpan timeout, CancellationToken stoppingToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await clients.CreateClient(RouteTableWatcher.ClientName)
                .PostAsJsonAsync(ReportsPath, report, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                LogRefused(logger, (int)response.StatusCode);
            }
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            LogFailed(logger, "the deployer did not answer in time");
        }
        catch (HttpRequestException ex)
        {
            LogFailed(logger, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The deployer refused the gateway's comparison report with {Status} (403: the gateway's token needs the gateway role)")]
    private static partial void LogRefused(ILogger logger, int status);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Comparison report not delivered ({Reason}); the next one carries its counts")]
    private static partial void LogFailed(ILogger logger, string reason);
}
