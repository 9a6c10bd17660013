using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Routing;

namespace ModelPlatform.Gateway.Telemetry;

/// <summary>
/// Reports the gateway's running totals to the deployer every <see cref="TelemetryOptions.ReportInterval"/>,
/// through the same authenticated client as the route watch. Totals are cumulative, so a report
/// that fails is simply made up by the next. Reporting stops for good when the deployer answers that
/// it reads Prometheus instead (409).
/// </summary>
internal sealed partial class TelemetryReporter(
    IHttpClientFactory clients,
    VariantCounters counters,
    IOptions<TelemetryOptions> options,
    TimeProvider time,
    ILogger<TelemetryReporter> logger) : BackgroundService
{
    public const string ReportsPath = "v1/telemetry/reports";

    // A restarted gateway is a new one: its counts start again from zero.
    private readonly string _gateway = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}"[..^24];

    private HttpStatusCode? _lastFailure;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.ReportToDeployer)
        {
            return;
        }

        using var timer = new PeriodicTimer(settings.ReportInterval, time);
        for (var sequence = 1L; await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false); sequence++)
        {
            var report = new GatewayTelemetryReport(_gateway, sequence, counters.Snapshot());
            if (!await SendAsync(report, settings.ReportInterval, stoppingToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Sends one report; false when the deployer wants no more.</summary>
    private async Task<bool> SendAsync(GatewayTelemetryReport report, TimeSpan timeout, CancellationToken stoppingToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await clients.CreateClient(RouteTableWatcher.ClientName)
                .PostAsJsonAsync(ReportsPath, report, deadline.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                LogDeployerReadsPrometheus(logger);
                return false;
            }

            if (response.IsSuccessStatusCode)
            {
                _lastFailure = null;
            }
            else if (_lastFailure != response.StatusCode)
            {
                // Once per kind of failure, not every interval.
                _lastFailure = response.StatusCode;
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

        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The deployer reads the gateways' metrics from Prometheus: this gateway no longer reports its counts to it")]
    private static partial void LogDeployerReadsPrometheus(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "The deployer refused the gateway's telemetry report with {Status} (403: the gateway's token needs the gateway role); " +
        "per-variant metrics from this gateway are missing until it is fixed")]
    private static partial void LogRefused(ILogger logger, int status);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Telemetry report not delivered ({Reason}); the next one carries its counts")]
    private static partial void LogFailed(ILogger logger, string reason);
}
