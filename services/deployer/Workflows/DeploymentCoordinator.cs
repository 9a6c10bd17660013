using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows;

/// <summary>
/// Runs one reconcile workflow at a time per deployment. A change that arrives while one runs is
/// picked up when it ends: each workflow reads the latest desired state when it starts, so a burst
/// of changes costs at most one more workflow, and weights never race each other.
/// </summary>
internal sealed partial class DeploymentCoordinator(IWorkflowScheduler scheduler, IDeploymentStore store, ILogger<DeploymentCoordinator> logger)
    : IDisposable
{
    private readonly HashSet<string> _running = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Makes sure a workflow brings <paramref name="deployment"/> to its desired state.</summary>
    public void Reconcile(string deployment)
    {
        lock (_running)
        {
            if (!_running.Add(deployment))
            {
                _pending.Add(deployment);
                return;
            }
        }

        _ = Task.Run(() => RunAsync(deployment));
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    public static string InstanceId(DeploymentRecord record) =>
        $"{record.Name}-{record.Uid[..8]}-g{record.Generation}" + (record.Deleting ? "-delete" : string.Empty);

    private async Task RunAsync(string deployment)
    {
        string? last = null;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                var stored = await store.GetAsync(deployment, _stopping.Token);
                if (stored is { Record: var record } && (record.Deleting || record.ObservedGeneration < record.Generation))
                {
                    var instance = InstanceId(record);
                    if (instance != last)
                    {
                        last = instance;
                        await scheduler.ScheduleAsync(nameof(ReconcileWorkflow), instance, new ReconcileInput(deployment), _stopping.Token);
                        await scheduler.WaitForCompletionAsync(instance, _stopping.Token);
                        continue;
                    }
                }
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A failed round is logged; the next change or restart tries again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogFailed(logger, ex, deployment);
            }

            lock (_running)
            {
                if (!_pending.Remove(deployment))
                {
                    _running.Remove(deployment);
                    return;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Reconciling deployment {Deployment} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string deployment);
}
