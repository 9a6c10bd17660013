using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapr.Workflow;

namespace ModelPlatform.Deployer.Workflows.Embedded;

/// <summary>
/// The context of one run of a workflow in the embedded host. Every durable step (an activity, a
/// timer, an external event) takes the next sequence number and returns a task that only the host
/// completes: first from the journal, in the order the results were recorded (replay), then as new
/// results arrive. As under Dapr, the workflow runs again from the top for every new result, so code
/// that does not decide the same way each time is caught here, on the first replay.
/// </summary>
internal sealed class EmbeddedWorkflowContext(string instanceId, string name, DateTimeOffset created) : WorkflowContext
{
    private readonly SortedDictionary<int, Step> _steps = [];
    private int _sequence;
    private int _guids;
    private DateTime _now = created.UtcDateTime;

    public override string Name { get; } = name;

    public override string InstanceId { get; } = instanceId;

    public override DateTime CurrentUtcDateTime => _now;

    /// <summary>True while the host hands the workflow results it was given before.</summary>
    public override bool IsReplaying => Replaying;

    internal bool Replaying { get; set; }

    /// <summary>The steps asked for and not completed: what the host must run, start or wait for.</summary>
    internal IEnumerable<Step> Pending => _steps.Values.Where(step => !step.Completion.Task.IsCompleted);

    public override Task CallActivityAsync(string name, object? input = null, WorkflowTaskOptions? options = null) =>
        CallActivityAsync<object?>(name, input, options);

    public override async Task<T> CallActivityAsync<T>(string name, object? input = null, WorkflowTaskOptions? options = null)
    {
        // As Dapr's retry interceptor does: each attempt is its own step, and the waits are durable timers.
        var policy = options?.RetryPolicy;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Result<T>(await Ask(StepKind.Activity, name, input, default).Completion.Task);
            }
            catch (WorkflowTaskFailedException) when (policy is not null && attempt < policy.MaxNumberOfAttempts)
            {
                await CreateTimer(RetryDelay(policy, attempt));
            }
        }
    }

    public override Task CreateTimer(TimeSpan delay, CancellationToken cancellationToken = default) =>
        CreateTimer(_now + delay, cancellationToken);

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken = default) =>
        Ask(StepKind.Timer, StepKind.Timer, fireAt.ToUniversalTime(), cancellationToken).Completion.Task;

    public override Task<T> WaitForExternalEventAsync<T>(string eventName, CancellationToken cancellationToken = default) =>
        WaitForEventAsync<T>(eventName, cancellationToken);

    public override async Task<T> WaitForExternalEventAsync<T>(string eventName, TimeSpan timeout)
    {
        var received = WaitForEventAsync<T>(eventName, default);
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return await received;
        }

        using var cancelTimer = new CancellationTokenSource();
        var timer = CreateTimer(timeout, cancelTimer.Token);
        if (await Task.WhenAny(received, timer) == received)
        {
            // Synchronously: awaiting CancelAsync would suspend the workflow on a task that is not one of its steps.
#pragma warning disable CA1849
            cancelTimer.Cancel();
#pragma warning restore CA1849
            return await received;
        }

        throw new TaskCanceledException($"No '{eventName}' event arrived within {timeout}.");
    }

    /// <summary>Deterministic across replays: derived from the instance and how many GUIDs it asked for before.</summary>
    public override Guid NewGuid()
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{InstanceId}/{++_guids}"));
        return new Guid(hash.AsSpan(0, 16));
    }

    // What no workflow of the deployer uses is refused by name rather than imitated half-way: a
    // workflow that needs one of these runs under Dapr differently from here.
    public override bool IsPatched(string patchName) => throw Unsupported("patching (IsPatched)");

    public override void SendEvent(string instanceId, string eventName, object payload) => throw Unsupported("sending events to other workflows");

    public override void SetCustomStatus(object? customStatus) => throw Unsupported("custom status");

    public override Task<TResult> CallChildWorkflowAsync<TResult>(string workflowName, object? input = null, ChildWorkflowTaskOptions? options = null) =>
        throw Unsupported("child workflows");

    public override Task CallChildWorkflowAsync(string workflowName, object? input = null, ChildWorkflowTaskOptions? options = null) =>
        throw Unsupported("child workflows");

    public override ILogger CreateReplaySafeLogger(string categoryName) => throw Unsupported("replay-safe loggers");

    public override ILogger CreateReplaySafeLogger(Type type) => throw Unsupported("replay-safe loggers");

    public override ILogger<T> CreateReplaySafeLogger<T>() => throw Unsupported("replay-safe loggers");

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) => throw Unsupported("ContinueAsNew");

    public override PropagatedHistory? GetPropagatedHistory() => null;

    /// <summary>
    /// Hands the workflow a recorded result. The step it completes must be one the workflow asked
    /// for, of the same kind and name: anything else means the workflow decided differently this time.
    /// </summary>
    internal void Complete(JournalEntry entry)
    {
        _now = entry.Recorded.UtcDateTime;
        if (!_steps.TryGetValue(entry.Sequence, out var step))
        {
            throw new NonDeterministicWorkflowException(
                $"Workflow {InstanceId} is not deterministic: step {entry.Sequence} was {entry.Kind} '{entry.Name}', and this run did not ask for it.");
        }

        if (step.Kind != entry.Kind || step.Name != entry.Name)
        {
            throw new NonDeterministicWorkflowException(
                $"Workflow {InstanceId} is not deterministic: step {entry.Sequence} was {entry.Kind} '{entry.Name}' and is now {step.Kind} '{step.Name}'.");
        }

        // A timer or wait the workflow cancelled may still have fired; its result has nobody to go to.
        step.Completion.TrySetResult(entry);
    }

    private async Task<T> WaitForEventAsync<T>(string eventName, CancellationToken cancellationToken) =>
        Result<T>(await Ask(StepKind.Event, eventName, null, cancellationToken).Completion.Task);

    private Step Ask(string kind, string name, object? argument, CancellationToken cancellationToken)
    {
        var step = new Step(++_sequence, kind, name, argument);
        _steps[step.Sequence] = step;
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() => step.Completion.TrySetCanceled(cancellationToken));
        }

        return step;
    }

    private static TimeSpan RetryDelay(WorkflowRetryPolicy policy, int attempt)
    {
        var delay = policy.FirstRetryInterval * Math.Pow(policy.BackoffCoefficient, attempt - 1);
        return policy.MaxRetryInterval is { } max && max != Timeout.InfiniteTimeSpan && delay > max ? max : delay;
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

    private NotSupportedException Unsupported(string feature) =>
        new($"Workflow {InstanceId} uses {feature}, which the embedded workflow host does not offer: no deployer workflow needs it yet.");

    /// <summary>
    /// A durable step the workflow asked for. Its completion runs the workflow's continuation inline,
    /// so by the time the host's call returns, the workflow has gone as far as it can.
    /// </summary>
    internal sealed class Step(int sequence, string kind, string name, object? argument)
    {
        public int Sequence { get; } = sequence;

        public string Kind { get; } = kind;

        public string Name { get; } = name;

        /// <summary>The activity's input, or the timer's due time.</summary>
        public object? Argument { get; } = argument;

        public TaskCompletionSource<JournalEntry> Completion { get; } = new();
    }
}

/// <summary>The kinds of journaled steps.</summary>
internal static class StepKind
{
    public const string Activity = "activity";
    public const string Timer = "timer";
    public const string Event = "event";
}

/// <summary>A workflow that asked for different steps when run again over its journal.</summary>
internal sealed class NonDeterministicWorkflowException : InvalidOperationException
{
    public NonDeterministicWorkflowException()
    {
    }

    public NonDeterministicWorkflowException(string message)
        : base(message)
    {
    }

    public NonDeterministicWorkflowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
