using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Dapr.Workflow;
using Dapr.Workflow.Abstractions;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.Workflows.Embedded;

/// <summary>
/// Runs <c>Dapr.Workflow</c> workflow classes in-process, with Dapr's durability rules: each step's
/// result is journaled in the store before the workflow moves on, and an instance left running by
/// a stopped or crashed deployer is replayed from its journal at start, so completed activities are
/// not run again. Workflow code must be deterministic, as it must under Dapr.
/// </summary>
internal sealed partial class EmbeddedWorkflowHost(
    WorkflowRegistry registry,
    IWorkflowJournal journal,
    IServiceScopeFactory scopes,
    IOptions<DeployerOptions> options,
    ILogger<EmbeddedWorkflowHost> logger) : IWorkflowScheduler, IHostedService, IDisposable
{
    internal static readonly JsonSerializerOptions Json = Common.StoredJson.Options;

    private readonly ConcurrentDictionary<string, Task<WorkflowOutcome>> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Instance, string Event), ConcurrentQueue<string?>> _events = new();
    private readonly ConcurrentDictionary<string, object?> _customStatus = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var instance in await journal.ListRunningAsync(cancellationToken))
        {
            LogResuming(logger, instance.Id, instance.Workflow);
            Run(instance);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Instances stop where they are and stay Running in the journal: the next start resumes them.
        await _stopping.CancelAsync();
        await Task.WhenAll(_running.Values).WaitAsync(cancellationToken).ContinueWith(static _ => { }, TaskScheduler.Default);
    }

    public void Dispose() => _stopping.Dispose();

    public async Task ScheduleAsync(string workflowName, string instanceId, object? input, CancellationToken cancellationToken)
    {
        registry.Workflow(workflowName);
        if (_running.ContainsKey(instanceId) || await journal.GetInstanceAsync(instanceId, cancellationToken) is not null)
        {
            return;
        }

        var instance = new WorkflowInstanceRecord(
            instanceId, workflowName, JsonSerializer.Serialize(input, Json), WorkflowStatus.Running, null, null, DateTimeOffset.UtcNow);
        await journal.CreateInstanceAsync(instance, cancellationToken);
        Run(instance);
    }

    public async Task<WorkflowOutcome?> WaitForCompletionAsync(string instanceId, CancellationToken cancellationToken)
    {
        if (_running.TryGetValue(instanceId, out var running))
        {
            return await running.WaitAsync(cancellationToken);
        }

        return await journal.GetInstanceAsync(instanceId, cancellationToken) is { } stored
            ? new WorkflowOutcome(instanceId, stored.Status == WorkflowStatus.Completed, stored.Error, stored.Output)
            : null;
    }

    /// <summary>Delivers an event to an instance waiting (or about to wait) for it.</summary>
    public void RaiseEvent(string instanceId, string eventName, object? payload) =>
        _events.GetOrAdd((instanceId, eventName), _ => new ConcurrentQueue<string?>()).Enqueue(JsonSerializer.Serialize(payload, Json));

    public object? CustomStatus(string instanceId) => _customStatus.GetValueOrDefault(instanceId);

    internal void SetCustomStatus(string instanceId, object? status) => _customStatus[instanceId] = status;

    internal bool TryTakeEvent(string instanceId, string eventName, out string? payload)
    {
        payload = null;
        return _events.TryGetValue((instanceId, eventName), out var queue) && queue.TryDequeue(out payload);
    }

    internal Task<WorkflowOutcome> ScheduleChildAsync(string workflowName, string instanceId, object? input, CancellationToken cancellationToken) =>
        ScheduleAsync(workflowName, instanceId, input, cancellationToken)
            .ContinueWith(_ => WaitForCompletionAsync(instanceId, cancellationToken), cancellationToken, TaskContinuationOptions.None, TaskScheduler.Default)
            .Unwrap()
            .ContinueWith(outcome => outcome.Result ?? new WorkflowOutcome(instanceId, false, "the child workflow vanished"), TaskScheduler.Default);

    /// <summary>Runs one activity: a fresh DI scope, the input as the activity's own type, the output as JSON.</summary>
    internal async Task<string> RunActivityAsync(string name, object? input, string instanceId, int sequence, CancellationToken cancellationToken)
    {
        var type = registry.Activity(name);
        await using var scope = scopes.CreateAsyncScope();
        var activity = (IWorkflowActivity)ActivatorUtilities.CreateInstance(scope.ServiceProvider, type);
        var typedInput = JsonSerializer.Deserialize(JsonSerializer.Serialize(input, Json), activity.InputType, Json);
        var context = new EmbeddedActivityContext(name, instanceId, $"{instanceId}:{sequence}");
        var output = await activity.RunAsync(context, typedInput).WaitAsync(cancellationToken);
        var json = JsonSerializer.Serialize(output, activity.OutputType, Json);
        if (string.Equals(options.Value.Testing.CrashAfterActivity, name, StringComparison.Ordinal))
        {
            // The worst moment to die: the side effect happened, its result is not journaled yet.
            LogCrashing(logger, name);
            Process.GetCurrentProcess().Kill();
        }

        return json;
    }

    internal Task AppendAsync(string instanceId, JournalEntry entry) => journal.AppendAsync(instanceId, entry, CancellationToken.None);

    private void Run(WorkflowInstanceRecord instance)
    {
        var completion = new TaskCompletionSource<WorkflowOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_running.TryAdd(instance.Id, completion.Task))
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                completion.TrySetResult(await ExecuteAsync(instance, _stopping.Token));
            }
            catch (OperationCanceledException)
            {
                completion.TrySetResult(new WorkflowOutcome(instance.Id, false, "the deployer stopped; it resumes on the next start"));
            }
#pragma warning disable CA1031 // The journal itself failed (a locked or broken store): the waiter must hear of it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogFailed(logger, ex, instance.Id, instance.Workflow);
                completion.TrySetResult(new WorkflowOutcome(instance.Id, false, ex.Message));
            }
            finally
            {
                _running.TryRemove(instance.Id, out _);
            }
        });
    }

    private async Task<WorkflowOutcome> ExecuteAsync(WorkflowInstanceRecord instance, CancellationToken cancellationToken)
    {
        var input = instance.Input;
        while (true)
        {
            await using var scope = scopes.CreateAsyncScope();
            var workflow = (IWorkflow)ActivatorUtilities.CreateInstance(scope.ServiceProvider, registry.Workflow(instance.Workflow));
            var history = await journal.ReadAsync(instance.Id, cancellationToken);
            var context = new EmbeddedWorkflowContext(this, instance.Id, instance.Workflow, instance.Created, history, scope.ServiceProvider, cancellationToken);
            try
            {
                var typedInput = input is null ? null : JsonSerializer.Deserialize(input, workflow.InputType, Json);
                var output = await workflow.RunAsync(context, typedInput);
                if (context.ContinuedAsNew is { } next)
                {
                    input = JsonSerializer.Serialize(next, Json);
                    await journal.ClearAsync(instance.Id, CancellationToken.None);
                    await journal.UpdateInstanceAsync(instance.Id, WorkflowStatus.Running, input, null, null, CancellationToken.None);
                    continue;
                }

                var json = JsonSerializer.Serialize(output, workflow.OutputType, Json);
                await journal.UpdateInstanceAsync(instance.Id, WorkflowStatus.Completed, null, json, null, CancellationToken.None);
                return new WorkflowOutcome(instance.Id, true, null, json);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // A workflow that throws anything has failed; the failure is recorded, not rethrown.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogFailed(logger, ex, instance.Id, instance.Workflow);
                await journal.UpdateInstanceAsync(instance.Id, WorkflowStatus.Failed, null, null, ex.Message, CancellationToken.None);
                return new WorkflowOutcome(instance.Id, false, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming workflow {InstanceId} ({Workflow}) from its journal")]
    private static partial void LogResuming(ILogger logger, string instanceId, string workflow);

    [LoggerMessage(Level = LogLevel.Error, Message = "Workflow {InstanceId} ({Workflow}) failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string instanceId, string workflow);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Fault injection: killing the deployer after activity {Activity}, before its result is journaled")]
    private static partial void LogCrashing(ILogger logger, string activity);
}
