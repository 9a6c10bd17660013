using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapr.Workflow;

namespace ModelPlatform.Deployer.Workflows.Embedded;

/// <summary>
/// The context a workflow runs with in the embedded host. Each step (activity, timer, event, child
/// workflow) takes the next sequence number; a step already in the journal returns its recorded
/// outcome (replay), a new one runs and is journaled before the workflow continues.
/// </summary>
internal sealed class EmbeddedWorkflowContext(
    EmbeddedWorkflowHost host,
    string instanceId,
    string name,
    DateTimeOffset created,
    IReadOnlyList<JournalEntry> history,
    IServiceProvider services,
    CancellationToken cancellationToken) : WorkflowContext
{
    private readonly Dictionary<int, JournalEntry> _history = history.ToDictionary(entry => entry.Sequence);
    private int _sequence;
    private int _guids;
    private DateTime _now = created.UtcDateTime;

    public override string Name { get; } = name;

    public override string InstanceId { get; } = instanceId;

    public override DateTime CurrentUtcDateTime => _now;

    /// <summary>True while the workflow is re-executing steps it completed before.</summary>
    public override bool IsReplaying => _history.ContainsKey(_sequence + 1);

    /// <summary>The input a ContinueAsNew call asked to start over with.</summary>
    public object? ContinuedAsNew { get; private set; }

    public override bool IsPatched(string patchName) => true;

    public override Task CallActivityAsync(string name, object? input = null, WorkflowTaskOptions? options = null) =>
        CallActivityAsync<object?>(name, input, options);

    public override async Task<T> CallActivityAsync<T>(string name, object? input = null, WorkflowTaskOptions? options = null)
    {
        var sequence = ++_sequence;
        if (Replay(sequence, "activity", name) is { } recorded)
        {
            return Result<T>(recorded);
        }

        var policy = options?.RetryPolicy;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var json = await host.RunActivityAsync(name, input, InstanceId, sequence, cancellationToken);
                return Result<T>(await RecordAsync(sequence, "activity", name, json, null));
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not WorkflowTaskFailedException)
            {
                if (policy is not null && attempt < policy.MaxNumberOfAttempts)
                {
                    await Task.Delay(RetryDelay(policy, attempt), cancellationToken);
                    continue;
                }

                var details = new WorkflowTaskFailureDetails(ex.GetType().FullName ?? ex.GetType().Name, ex.Message, ex.StackTrace);
                return Result<T>(await RecordAsync(sequence, "activity", name, null, JsonSerializer.Serialize(details, EmbeddedWorkflowHost.Json)));
            }
        }
    }

    public override Task CreateTimer(TimeSpan delay, CancellationToken cancellationToken = default) =>
        CreateTimer(_now + delay, cancellationToken);

    public override async Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken = default)
    {
        var sequence = ++_sequence;
        var recorded = Replay(sequence, "timer", "timer");
        var due = recorded is null
            ? fireAt
            : JsonSerializer.Deserialize<DateTime>(recorded.Result!, EmbeddedWorkflowHost.Json);
        if (recorded is null)
        {
            await RecordAsync(sequence, "timer", "timer", JsonSerializer.Serialize(due, EmbeddedWorkflowHost.Json), null);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, this.CancellationToken);
        var remaining = due - DateTime.UtcNow;
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining, linked.Token);
        }

        _now = due;
    }

    public override Task<T> WaitForExternalEventAsync<T>(string eventName, TimeSpan timeout) =>
        WaitForEventAsync<T>(eventName, timeout, CancellationToken.None);

    public override Task<T> WaitForExternalEventAsync<T>(string eventName, CancellationToken cancellationToken = default) =>
        WaitForEventAsync<T>(eventName, Timeout.InfiniteTimeSpan, cancellationToken);

    public override void SendEvent(string instanceId, string eventName, object payload) =>
        host.RaiseEvent(instanceId, eventName, payload);

    public override void SetCustomStatus(object? customStatus) => host.SetCustomStatus(InstanceId, customStatus);

    public override Task<TResult> CallChildWorkflowAsync<TResult>(string workflowName, object? input = null, ChildWorkflowTaskOptions? options = null) =>
        CallChildAsync<TResult>(workflowName, input, options);

    public override Task CallChildWorkflowAsync(string workflowName, object? input = null, ChildWorkflowTaskOptions? options = null) =>
        CallChildAsync<object?>(workflowName, input, options);

    public override ILogger CreateReplaySafeLogger(string categoryName) =>
        new ReplaySafeLogger(this, services.GetRequiredService<ILoggerFactory>().CreateLogger(categoryName));

    public override ILogger CreateReplaySafeLogger(Type type) =>
        new ReplaySafeLogger(this, services.GetRequiredService<ILoggerFactory>().CreateLogger(type));

    public override ILogger<T> CreateReplaySafeLogger<T>() =>
        new ReplaySafeLogger<T>(this, services.GetRequiredService<ILoggerFactory>().CreateLogger<T>());

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) => ContinuedAsNew = newInput ?? new object();

    /// <summary>Deterministic across replays: derived from the instance and how many GUIDs it asked for before.</summary>
    public override Guid NewGuid()
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{InstanceId}/{++_guids}"));
        return new Guid(hash.AsSpan(0, 16));
    }

    // The embedded host runs no child workflow with history propagation, so there is never any to hand over.
    public override PropagatedHistory? GetPropagatedHistory() => null;

    private CancellationToken CancellationToken => cancellationToken;

    private async Task<T> WaitForEventAsync<T>(string eventName, TimeSpan timeout, CancellationToken waitToken)
    {
        var sequence = ++_sequence;
        if (Replay(sequence, "event", eventName) is { } recorded)
        {
            return Result<T>(recorded);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(waitToken, cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            linked.CancelAfter(timeout);
        }

        string? payload;
        while (!host.TryTakeEvent(InstanceId, eventName, out payload))
        {
            try
            {
                await Task.Delay(20, linked.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !waitToken.IsCancellationRequested)
            {
                throw new TaskCanceledException($"No '{eventName}' event arrived within {timeout}.");
            }
        }

        return Result<T>(await RecordAsync(sequence, "event", eventName, payload, null));
    }

    private async Task<T> CallChildAsync<T>(string workflowName, object? input, ChildWorkflowTaskOptions? options)
    {
        var sequence = ++_sequence;
        if (Replay(sequence, "child", workflowName) is { } recorded)
        {
            return Result<T>(recorded);
        }

        var childId = options?.InstanceId ?? $"{InstanceId}:{sequence}";
        var outcome = await host.ScheduleChildAsync(workflowName, childId, input, cancellationToken);
        var error = outcome.Succeeded
            ? null
            : JsonSerializer.Serialize(new WorkflowTaskFailureDetails("ChildWorkflowFailed", outcome.Error ?? "failed", null), EmbeddedWorkflowHost.Json);
        return Result<T>(await RecordAsync(sequence, "child", workflowName, outcome.Succeeded ? outcome.Output ?? "null" : null, error));
    }

    private static TimeSpan RetryDelay(WorkflowRetryPolicy policy, int attempt)
    {
        var delay = policy.FirstRetryInterval * Math.Pow(policy.BackoffCoefficient, attempt - 1);
        return policy.MaxRetryInterval is { } max && delay > max ? max : delay;
    }

    private JournalEntry? Replay(int sequence, string kind, string stepName)
    {
        if (!_history.TryGetValue(sequence, out var entry))
        {
            return null;
        }

        if (entry.Kind != kind || entry.Name != stepName)
        {
            throw new InvalidOperationException(
                $"Workflow {InstanceId} is not deterministic: step {sequence} was {entry.Kind} '{entry.Name}' and is now {kind} '{stepName}'.");
        }

        _now = entry.Recorded.UtcDateTime;
        return entry;
    }

    private async Task<JournalEntry> RecordAsync(int sequence, string kind, string stepName, string? result, string? error)
    {
        var entry = new JournalEntry(sequence, kind, stepName, result, error, DateTimeOffset.UtcNow);
        await host.AppendAsync(InstanceId, entry);
        _history[sequence] = entry;
        _now = entry.Recorded.UtcDateTime;
        return entry;
    }

    private static T Result<T>(JournalEntry entry)
    {
        if (entry.Error is { } error)
        {
            var details = JsonSerializer.Deserialize<WorkflowTaskFailureDetails>(error, EmbeddedWorkflowHost.Json)!;
            throw new WorkflowTaskFailedException($"Task '{entry.Name}' failed: {details.ErrorMessage}", details);
        }

        return entry.Result is null ? default! : JsonSerializer.Deserialize<T>(entry.Result, EmbeddedWorkflowHost.Json)!;
    }

    /// <summary>A logger that stays quiet while the workflow replays steps it already logged.</summary>
    private class ReplaySafeLogger(EmbeddedWorkflowContext context, ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => !context.IsReplaying && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!context.IsReplaying)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }

    private sealed class ReplaySafeLogger<T>(EmbeddedWorkflowContext context, ILogger inner) : ReplaySafeLogger(context, inner), ILogger<T>;
}
