using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Dapr.Workflow;
using Dapr.Workflow.Abstractions;

namespace ModelPlatform.Deployer.Workflows.Embedded;

/// <summary>
/// Runs <c>Dapr.Workflow</c> workflow classes in-process by Dapr's rules: every step's result is
/// journaled in the store before the workflow sees it, and the workflow runs again from the top over
/// its journal whenever a new result arrives (an activity's output, a timer that fired, an external
/// event), so code that does not decide the same way each time fails here, as it would under Dapr.
/// An instance left running by a stopped or crashed deployer is resumed from its journal at start:
/// completed activities are not run again.
/// </summary>
internal sealed partial class EmbeddedWorkflowHost(
    WorkflowRegistry registry,
    IWorkflowJournal journal,
    IServiceScopeFactory scopes,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<EmbeddedWorkflowHost> logger) : IWorkflowScheduler, IHostedService, IDisposable
{
    internal static readonly JsonSerializerOptions Json = Common.StoredJson.Options;

    /// <summary>How long a finished instance is remembered (so scheduling its id again does nothing), journal aside.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    private static readonly TimeSpan PurgeInterval = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, RunningInstance> _running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private Task _purging = Task.CompletedTask;
    private int _disposed;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await journal.PurgeFinishedAsync(time.GetUtcNow() - Retention, cancellationToken);
        foreach (var instance in await journal.ListRunningAsync(cancellationToken))
        {
            LogResuming(logger, instance.Id, instance.Workflow);
            Run(instance);
        }

        _purging = PurgeAsync(_stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Instances stop where they are and stay Running in the journal: the next start resumes them.
        // Activities under way are waited for (their results journaled), not abandoned with their scope.
        await _stopping.CancelAsync();
        var running = _running.Values.Select(instance => (Task)instance.Outcome.Task).Append(_purging);
        await Task.WhenAll(running).WaitAsync(cancellationToken).ContinueWith(static _ => { }, TaskScheduler.Default);
    }

    public void Dispose()
    {
        // Disposed once per registration it is resolved through (the scheduler, the hosted service).
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _stopping.Cancel();
        // An instance still winding down (the host's stop timed out) reads the token until it ends.
        if (_running.IsEmpty)
        {
            _stopping.Dispose();
        }
    }

    public async Task ScheduleAsync(string workflowName, string instanceId, object? input, CancellationToken cancellationToken)
    {
        registry.Workflow(workflowName);
        if (_running.ContainsKey(instanceId) || await journal.GetInstanceAsync(instanceId, cancellationToken) is not null)
        {
            return;
        }

        var instance = new WorkflowInstanceRecord(
            instanceId, workflowName, JsonSerializer.Serialize(input, Json), WorkflowStatus.Running, null, null, time.GetUtcNow());
        await journal.CreateInstanceAsync(instance, cancellationToken);
        Run(instance);
    }

    public async Task<WorkflowOutcome?> WaitForCompletionAsync(string instanceId, CancellationToken cancellationToken)
    {
        if (_running.TryGetValue(instanceId, out var running))
        {
            return await running.Outcome.Task.WaitAsync(cancellationToken);
        }

        return await journal.GetInstanceAsync(instanceId, cancellationToken) is { } stored
            ? new WorkflowOutcome(instanceId, stored.Status == WorkflowStatus.Completed, stored.Error, stored.Output)
            : null;
    }

    /// <summary>
    /// Delivers an event to a running instance: to its oldest wait for that name, or kept for the
    /// next one. False when no such instance runs.
    /// </summary>
    public bool RaiseEvent(string instanceId, string eventName, object? payload)
    {
        // An instance whose outcome is out is ended, though it may not be forgotten yet.
        if (!_running.TryGetValue(instanceId, out var instance) || instance.Outcome.Task.IsCompleted)
        {
            return false;
        }

        instance.Raise(eventName, JsonSerializer.Serialize(payload, Json), time.GetUtcNow());
        return true;
    }

    private void Run(WorkflowInstanceRecord record)
    {
        var instance = new RunningInstance(record);
        if (!_running.TryAdd(record.Id, instance))
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                instance.Outcome.TrySetResult(await ExecuteAsync(instance, _stopping.Token));
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                instance.Outcome.TrySetResult(new WorkflowOutcome(record.Id, false, "the deployer stopped; it resumes on the next start"));
            }
#pragma warning disable CA1031 // The journal itself failed (a locked or broken store): the waiter must hear of it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogFailed(logger, ex, record.Id, record.Workflow);
                instance.Outcome.TrySetResult(new WorkflowOutcome(record.Id, false, ex.Message));
            }
            finally
            {
                // Forgotten once ended: a finished instance is read from the journal from now on.
                _running.TryRemove(record.Id, out _);
            }
        });
    }

    private async Task<WorkflowOutcome> ExecuteAsync(RunningInstance instance, CancellationToken cancellationToken)
    {
        var record = instance.Record;
        var history = new List<JournalEntry>(await journal.ReadAsync(record.Id, cancellationToken));
        instance.Replayed = history.Count;
        var started = new Dictionary<int, Task>();
        try
        {
            while (true)
            {
                var ended = await RunOnceAsync(instance, history, started, cancellationToken);
                if (ended is not null)
                {
                    return ended;
                }

                // Every result that arrived meanwhile is journaled before the workflow runs again over it.
                var next = await instance.Inbox.Reader.ReadAsync(cancellationToken);
                do
                {
                    await journal.AppendAsync(record.Id, next, CancellationToken.None);
                    history.Add(next);
                    started.Remove(next.Sequence);
                }
                while (instance.Inbox.Reader.TryRead(out next));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: activities under way finish, and what they return is kept for the next start.
            await Task.WhenAll(started.Values);
            while (instance.Inbox.Reader.TryRead(out var late))
            {
                await journal.AppendAsync(record.Id, late, CancellationToken.None);
            }

            throw;
        }
    }

    /// <summary>
    /// Runs the workflow from the top over its history, then starts the steps it now waits for.
    /// Returns how it ended, or null while it waits.
    /// </summary>
    private async Task<WorkflowOutcome?> RunOnceAsync(
        RunningInstance instance, List<JournalEntry> history, Dictionary<int, Task> started, CancellationToken cancellationToken)
    {
        var record = instance.Record;
        await using var scope = scopes.CreateAsyncScope();
        var workflow = (IWorkflow)ActivatorUtilities.CreateInstance(scope.ServiceProvider, registry.Workflow(record.Workflow));
        var context = new EmbeddedWorkflowContext(record.Id, record.Workflow, record.Created) { Replaying = history.Count > instance.Replayed };
        Task<object?> run;
        try
        {
            var input = record.Input is null ? null : JsonSerializer.Deserialize(record.Input, workflow.InputType, Json);
            run = workflow.RunAsync(context, input);
            for (var i = 0; i < history.Count; i++)
            {
                context.Replaying = i < instance.Replayed;
                context.Complete(history[i]);
            }
        }
        catch (NonDeterministicWorkflowException ex)
        {
            return await FailAsync(record, ex);
        }

        context.Replaying = false;
        instance.Replayed = history.Count;
        if (run.IsCompleted)
        {
            try
            {
                var json = JsonSerializer.Serialize(await run, workflow.OutputType, Json);
                await journal.FinishAsync(record.Id, WorkflowStatus.Completed, json, null, CancellationToken.None);
                return new WorkflowOutcome(record.Id, true, null, json);
            }
#pragma warning disable CA1031 // A workflow that throws anything has failed; the failure is recorded, not rethrown.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                return await FailAsync(record, ex);
            }
        }

        var pending = context.Pending.ToList();
        if (pending.Count == 0)
        {
            return await FailAsync(record, new NonDeterministicWorkflowException(
                $"Workflow {record.Id} waits for something other than its context's steps (a Task.Delay, I/O, another task): under Dapr it would never resume."));
        }

        foreach (var step in pending.Where(step => !started.ContainsKey(step.Sequence)))
        {
            started[step.Sequence] = step.Kind switch
            {
                StepKind.Activity => RunActivityStepAsync(instance, step, cancellationToken),
                StepKind.Timer => FireTimerAsync(instance, step, cancellationToken),
                _ => instance.WaitForEvent(step.Name, step.Sequence),
            };
        }

        return null;
    }

    private async Task<WorkflowOutcome> FailAsync(WorkflowInstanceRecord record, Exception exception)
    {
        LogFailed(logger, exception, record.Id, record.Workflow);
        await journal.FinishAsync(record.Id, WorkflowStatus.Failed, null, exception.Message, CancellationToken.None);
        return new WorkflowOutcome(record.Id, false, exception.Message);
    }

    private async Task RunActivityStepAsync(RunningInstance instance, EmbeddedWorkflowContext.Step step, CancellationToken stopping)
    {
        string? result = null;
        string? error = null;
        try
        {
            result = await RunActivityAsync(step.Name, step.Argument, instance.Record.Id, step.Sequence);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested || lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // Cut short by the stop (activities watch the application's stopping token, which fires
            // before this host's stop): it runs again on the next start.
            return;
        }
#pragma warning disable CA1031 // An activity that throws has failed; the workflow hears of it as Dapr's would.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error = JsonSerializer.Serialize(new WorkflowTaskFailureDetails(ex.GetType().FullName ?? ex.GetType().Name, ex.Message, ex.StackTrace), Json);
        }

        instance.Inbox.Writer.TryWrite(new JournalEntry(step.Sequence, StepKind.Activity, step.Name, result, error, time.GetUtcNow()));
    }

    /// <summary>Runs one activity to its end: a fresh DI scope, the input as the activity's own type, the output as JSON.</summary>
    private async Task<string> RunActivityAsync(string name, object? input, string instanceId, int sequence)
    {
        var type = registry.Activity(name);
        await using var scope = scopes.CreateAsyncScope();
        var activity = (IWorkflowActivity)ActivatorUtilities.CreateInstance(scope.ServiceProvider, type);
        var typedInput = JsonSerializer.Deserialize(JsonSerializer.Serialize(input, Json), activity.InputType, Json);
        var context = new EmbeddedActivityContext(name, instanceId, $"{instanceId}:{sequence}");
        var output = await activity.RunAsync(context, typedInput);
        return JsonSerializer.Serialize(output, activity.OutputType, Json);
    }

    private async Task FireTimerAsync(RunningInstance instance, EmbeddedWorkflowContext.Step step, CancellationToken stopping)
    {
        var due = new DateTimeOffset(DateTime.SpecifyKind((DateTime)step.Argument!, DateTimeKind.Utc));
        var remaining = due - time.GetUtcNow();
        try
        {
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining, time, stopping);
            }
        }
        catch (OperationCanceledException)
        {
            // A timer is no side effect: it is created again, with the same due time, on the next start.
            return;
        }

        var now = time.GetUtcNow();
        instance.Inbox.Writer.TryWrite(new JournalEntry(step.Sequence, StepKind.Timer, step.Name, JsonSerializer.Serialize(due, Json), null, now > due ? now : due));
    }

    /// <summary>Forgets finished instances past the retention, hourly.</summary>
    private async Task PurgeAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(PurgeInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await journal.PurgeFinishedAsync(time.GetUtcNow() - Retention, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
#pragma warning disable CA1031 // A store that is busy now is purged at the next tick.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    LogPurgeFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming workflow {InstanceId} ({Workflow}) from its journal")]
    private static partial void LogResuming(ILogger logger, string instanceId, string workflow);

    [LoggerMessage(Level = LogLevel.Error, Message = "Workflow {InstanceId} ({Workflow}) failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string instanceId, string workflow);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging finished workflow instances failed; trying again in an hour")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);

    /// <summary>An instance while it runs here: the results waiting to be journaled, and its events.</summary>
    private sealed class RunningInstance(WorkflowInstanceRecord record)
    {
        private readonly Dictionary<string, Queue<(string Payload, DateTimeOffset Raised)>> _unclaimed = new(StringComparer.Ordinal);
        private readonly Dictionary<string, SortedSet<int>> _waiting = new(StringComparer.Ordinal);

        public WorkflowInstanceRecord Record { get; } = record;

        public TaskCompletionSource<WorkflowOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Channel<JournalEntry> Inbox { get; } = Channel.CreateUnbounded<JournalEntry>();

        /// <summary>How many journal entries the workflow has seen before: those replay, the rest are new.</summary>
        public int Replayed { get; set; }

        public Task WaitForEvent(string name, int sequence)
        {
            lock (_waiting)
            {
                if (_unclaimed.TryGetValue(name, out var queue) && queue.TryDequeue(out var raised))
                {
                    Inbox.Writer.TryWrite(new JournalEntry(sequence, StepKind.Event, name, raised.Payload, null, raised.Raised));
                }
                else
                {
                    (_waiting.TryGetValue(name, out var waits) ? waits : _waiting[name] = []).Add(sequence);
                }
            }

            return Task.CompletedTask;
        }

        public void Raise(string name, string payload, DateTimeOffset now)
        {
            lock (_waiting)
            {
                if (_waiting.TryGetValue(name, out var waits) && waits.Count > 0)
                {
                    var sequence = waits.Min;
                    waits.Remove(sequence);
                    Inbox.Writer.TryWrite(new JournalEntry(sequence, StepKind.Event, name, payload, null, now));
                }
                else
                {
                    (_unclaimed.TryGetValue(name, out var queue) ? queue : _unclaimed[name] = new()).Enqueue((payload, now));
                }
            }
        }
    }
}
