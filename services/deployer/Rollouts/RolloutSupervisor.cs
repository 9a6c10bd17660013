using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Rollouts;

/// <summary>Every <see cref="RolloutOptions.SweepInterval"/>, hands each deployment to the <see cref="RolloutLauncher"/>: rollouts start when their canary is ready, and resume after a restart.</summary>
internal sealed partial class RolloutSupervisor(
    IDeploymentStore store, RolloutLauncher launcher, IOptions<RolloutOptions> options, TimeProvider time, ILogger<RolloutSupervisor> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await SweepAsync(stoppingToken);
        }
    }

    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var stored in await store.ListAsync(cancellationToken))
            {
                if (stored.Record.Rollout is not null || stored.Record.RolloutProgress is { InProgress: true })
                {
                    await launcher.EnsureAsync(stored.Record, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A store or engine that is away now is tried again at the next tick.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The rollout sweep failed; it tries again at the next tick")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
