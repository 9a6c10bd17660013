using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows;

/// <summary>
/// Runs one reconcile workflow at a time per deployment. A change that arrives while one runs is
/// picked up when it ends: each workflow reads the latest desired state when it starts, so a burst
/// of changes costs at most one more workflow, and weights never race each other. A revision whose
/// workflows all crash is given up, and its audit entry says so.
/// </summary>
internal sealed partial class DeploymentCoordinator(
    IWorkflowScheduler scheduler, IDeploymentStore store, IAuditLog audit, TimeProvider time, ILogger<DeploymentCoordinator> logger)
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

    /// <summary>Workflow attempts per revision; a workflow that crashes (rather than recording a failure) is tried again.</summary>
    public const int MaxAttempts = 5;

    public static string InstanceId(DeploymentRecord record, int attempt) =>
        $"{record.Name}-{record.Uid[..8]}-g{record.Generation}" + (record.Deleting ? "-delete" : string.Empty) + $"-a{attempt}";

    private async Task RunAsync(string deployment)
    {
        string? revision = null;
        string? lastError = null;
        var attempt = 1;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                var stored = await store.GetAsync(deployment, _stopping.Token);
                if (stored is { Record: var record } && (record.Deleting || record.ObservedGeneration < record.Generation))
                {
                    var current = InstanceId(record, 0);
                    attempt = current == revision ? attempt + 1 : 1;
                    revision = current;
                    if (attempt <= MaxAttempts)
                    {
                        if (attempt > 1)
                        {
                            await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, attempt - 2))), time, _stopping.Token);
                        }

                        var instance = InstanceId(record, attempt);
                        await scheduler.ScheduleAsync(nameof(ReconcileWorkflow), instance, new ReconcileInput(deployment), _stopping.Token);
                        if (await scheduler.WaitForCompletionAsync(instance, _stopping.Token) is { Succeeded: false, Error: var error })
                        {
                            lastError = error ?? "unknown";
                            LogAttemptFailed(logger, instance, lastError);
                        }

                        continue;
                    }

                    if (attempt == MaxAttempts + 1)
                    {
                        LogGaveUp(logger, deployment, record.Generation);
                        await audit.SettleAsync(record.Uid, record.Generation, new AuditOutcome(
                            AuditOutcomes.Failed, $"Gave up after {MaxAttempts} workflow attempts; the last ended with: {lastError}", time.GetUtcNow()),
                            _stopping.Token);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workflow {Instance} ended without applying its revision: {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string instance, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up applying revision {Revision} of deployment {Deployment}: every workflow attempt crashed")]
    private static partial void LogGaveUp(ILogger logger, string deployment, long revision);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reconciling deployment {Deployment} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string deployment);
}
