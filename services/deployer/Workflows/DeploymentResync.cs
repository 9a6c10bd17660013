using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows;

/// <summary>
/// Every <see cref="DeployerOptions.ResyncInterval"/>, hands the coordinator each deployment whose
/// revision is not applied (or whose delete is not finished) and for which no workflow runs: what a
/// lost round left behind is picked up without waiting for the next change or restart.
/// </summary>
internal sealed partial class DeploymentResync(
    IDeploymentStore store, DeploymentCoordinator coordinator, IOptions<DeployerOptions> options, TimeProvider time, ILogger<DeploymentResync> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ResyncInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await ResyncAsync(stoppingToken);
        }
    }

    /// <summary>One pass over the store.</summary>
    public async Task ResyncAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var stored in await store.ListAsync(cancellationToken))
            {
                coordinator.Resync(stored.Record);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A store that is away now is read again at the next tick.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resync could not list the deployments; it tries again at the next tick")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
