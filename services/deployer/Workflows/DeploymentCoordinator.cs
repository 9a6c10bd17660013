using System.Collections.Concurrent;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Workflows;

/// <summary>
/// Runs one reconcile workflow at a time per deployment. A change that arrives while one runs is
/// picked up when it ends: each workflow reads the latest desired state when it starts, so a burst
/// of changes costs at most one more workflow, and weights never race each other. A revision whose
/// workflows all crash is given up, and its status and audit entry say so. A round that fails for
/// a reason outside the workflow (a sidecar not connected yet, a store briefly away) is tried again
/// with backoff, so no revision is left in progress.
/// </summary>
internal sealed partial class DeploymentCoordinator(
    IWorkflowScheduler scheduler, IDeploymentStore store, IAuditLog audit, TimeProvider time, ILogger<DeploymentCoordinator> logger)
    : IAsyncDisposable, IDisposable
{
    private readonly HashSet<string> _running = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _rounds = new();
    private readonly ConcurrentDictionary<string, string> _givenUp = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Workflow attempts per revision; a workflow that crashes (rather than recording a failure) is tried again.</summary>
    public const int MaxAttempts = 5;

    /// <summary>The longest wait between two tries of a round that failed outside the workflow.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    public static string InstanceId(DeploymentRecord record, int attempt) =>
        $"{record.Name}-{record.Uid[..8]}-g{record.Generation}" + (record.Deleting ? "-delete" : string.Empty) + $"-a{attempt}";

    /// <summary>Whether the record asks for a workflow: a revision not applied yet, or a delete not finished.</summary>
    public static bool NeedsWork(DeploymentRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Deleting || record.ObservedGeneration < record.Generation;
    }

    /// <summary>Makes sure a workflow brings <paramref name="deployment"/> to its desired state.</summary>
    public void Reconcile(string deployment)
    {
        lock (_running)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            if (!_running.Add(deployment))
            {
                _pending.Add(deployment);
                return;
            }
        }

        var round = Task.Run(() => RunAsync(deployment));
        _rounds.TryAdd(round, 0);
        round.ContinueWith(finished => _rounds.TryRemove(finished, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// The periodic resync's call: reconciles <paramref name="record"/> if it needs a workflow, none
    /// runs for it, and it is not a revision this coordinator gave up (a restart tries those again).
    /// </summary>
    public void Resync(DeploymentRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!NeedsWork(record) || GaveUpOn(record.Name, InstanceId(record, 0)))
        {
            return;
        }

        lock (_running)
        {
            if (_running.Contains(record.Name))
            {
                return;
            }
        }

        Reconcile(record.Name);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        // The rounds read the token until they end; they end promptly once it is cancelled.
        await Task.WhenAll(_rounds.Keys);
        _stopping.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task RunAsync(string deployment)
    {
        var token = _stopping.Token;
        string? revision = null;
        string? lastError = null;
        var attempts = 0;
        var failures = 0;
        while (!token.IsCancellationRequested)
        {
            try
            {
                var stored = await store.GetAsync(deployment, token);
                if (stored is { Record: var record } && NeedsWork(record))
                {
                    var current = InstanceId(record, 0);
                    if (current != revision)
                    {
                        (revision, attempts) = (current, 0);
                    }

                    if (!GaveUpOn(deployment, current))
                    {
                        if (attempts == MaxAttempts)
                        {
                            await GiveUpAsync(record, lastError, token);
                            continue;
                        }

                        if (attempts > 0)
                        {
                            await Task.Delay(Backoff(attempts), time, token);
                        }

                        // Scheduling is idempotent per instance: after a failed round the same attempt is tried again.
                        var instance = InstanceId(record, attempts + 1);
                        await scheduler.ScheduleAsync(nameof(ReconcileWorkflow), instance, new ReconcileInput(deployment), token);
                        var outcome = await scheduler.WaitForCompletionAsync(instance, token);
                        attempts++;
                        failures = 0;
                        if (outcome is { Succeeded: false, Error: var error })
                        {
                            lastError = error ?? "unknown";
                            LogAttemptFailed(logger, instance, lastError);
                        }

                        continue;
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A round that failed outside the workflow is tried again; only stopping ends it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                var delay = Backoff(++failures);
                LogRoundFailed(logger, ex, deployment, delay);
                try
                {
                    await Task.Delay(delay, time, token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
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

    /// <summary>Records the revision as failed, in the status as a failed workflow would, and in its audit entry.</summary>
    private async Task GiveUpAsync(DeploymentRecord record, string? lastError, CancellationToken token)
    {
        LogGaveUp(logger, record.Name, record.Generation);
        var reason = $"Gave up after {MaxAttempts} workflow attempts; the last ended with: {lastError}";
        var now = time.GetUtcNow();
        // The status first: whoever reads the audit entry as settled finds the status saying so too.
        await store.UpdateAsync(
            record.Name,
            current => current.Uid == record.Uid && current.Deleting == record.Deleting ? RevisionOutcome.Apply(current, record.Generation, reason, now) : null,
            token);
        await audit.SettleAsync(record.Uid, record.Generation, new AuditOutcome(AuditOutcomes.Failed, reason, now), token);
        _givenUp[record.Name] = InstanceId(record, 0);
    }

    /// <summary>Whether <paramref name="revision"/> was given up; a newer revision clears the memory.</summary>
    private bool GaveUpOn(string deployment, string revision)
    {
        if (!_givenUp.TryGetValue(deployment, out var given))
        {
            return false;
        }

        if (given == revision)
        {
            return true;
        }

        _givenUp.TryRemove(new KeyValuePair<string, string>(deployment, given));
        return false;
    }

    private static TimeSpan Backoff(int retry)
    {
        var delay = TimeSpan.FromSeconds(Math.Pow(2, Math.Max(0, retry - 1)));
        return delay < MaxRetryDelay ? delay : MaxRetryDelay;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workflow {Instance} ended without applying its revision: {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string instance, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up applying revision {Revision} of deployment {Deployment}: every workflow attempt crashed")]
    private static partial void LogGaveUp(ILogger logger, string deployment, long revision);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling deployment {Deployment} failed; trying again in {Delay}")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception, string deployment, TimeSpan delay);
}
