using System.Threading.Channels;
using Dapr.DurableTask.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace ModelPlatform.Deployer.Tests.Dapr;

/// <summary>
/// The fake sidecar's Dapr Workflow backend: the <c>TaskHubSidecarService</c> the SDK's own worker
/// and client talk to, kept as small as the deployer's use of it. Like daprd it keeps each
/// instance's history and hands the SDK's worker a workflow work item with the whole past history
/// plus the new events whenever something new happens (a start, an activity's result, a fired
/// timer), so the SDK replays the workflow from the top on every event; activities run through
/// activity work items; timers fire after their delay. A work item handed to a worker whose stream
/// then breaks is handed out again, as daprd does after a restart (activities run at least once).
/// </summary>
/// <remarks>
/// Not modelled: child workflows, external events, ContinueAsNew, suspend, terminate, purge and
/// history streaming (nothing in the deployer uses them; the SDK's worker fails a workflow that
/// asks for one, see <see cref="Apply"/>). This is a stand-in, not daprd: no actors, placement or
/// scheduler service, no persistence across a restart of the fake itself.
/// </remarks>
internal sealed class FakeWorkflowEngine : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Instance> _instances = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dispatched> _inFlight = new(StringComparer.Ordinal);
    private readonly Channel<WorkItem> _queue = Channel.CreateUnbounded<WorkItem>();
    private readonly CancellationTokenSource _disposed = new();
    private CancellationTokenSource _down = new();
    private int _connected;
    private long _tokens;
    private bool _refusing;

    /// <summary>Open <c>GetWorkItems</c> streams: what the metadata API reports as connected workers.</summary>
    public int ConnectedWorkers => Volatile.Read(ref _connected);

    /// <summary>Workflow work items handed out, replays included: more than the instances means the SDK replayed.</summary>
    public int WorkflowWorkItems { get; private set; }

    /// <summary>The ids of every instance ever started, in order.</summary>
    public IReadOnlyList<string> InstanceIds
    {
        get
        {
            lock (_lock)
            {
                return [.. _instances.Values.OrderBy(instance => instance.Created.Seconds).ThenBy(instance => instance.Created.Nanos).Select(instance => instance.Id)];
            }
        }
    }

    /// <summary>The runtime status of <paramref name="instanceId"/>; null for no such instance.</summary>
    public OrchestrationStatus? Status(string instanceId)
    {
        lock (_lock)
        {
            return _instances.TryGetValue(instanceId, out var instance) ? instance.Status : null;
        }
    }

    /// <summary>The history daprd would keep for <paramref name="instanceId"/>.</summary>
    public IReadOnlyList<HistoryEvent> History(string instanceId)
    {
        lock (_lock)
        {
            return _instances.TryGetValue(instanceId, out var instance) ? [.. instance.History] : [];
        }
    }

    /// <summary>
    /// As a daprd that restarts or loses its connection: every open work item stream breaks and
    /// every workflow call is refused with Unavailable until <see cref="ComeBack"/>.
    /// </summary>
    public void GoDown()
    {
        lock (_lock)
        {
            _refusing = true;
            _down.Cancel();
        }
    }

    public void ComeBack()
    {
        lock (_lock)
        {
            _refusing = false;
            _down.Dispose();
            _down = new CancellationTokenSource();
        }
    }

    public Empty Hello()
    {
        ThrowIfDown();
        return new Empty();
    }

    public CreateInstanceResponse Start(CreateInstanceRequest request)
    {
        ThrowIfDown();
        if (ConnectedWorkers == 0)
        {
            // What daprd answered when a workflow was scheduled before the app's worker registered
            // the workflow actor types (dapr/dapr#8791): the caller has to try again.
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unknown, $"failed to start orchestrator: actor type dapr.internal.default.deployer.workflow not registered"));
        }

        lock (_lock)
        {
            if (_instances.ContainsKey(request.InstanceId))
            {
                throw new RpcException(new Grpc.Core.Status(StatusCode.AlreadyExists, $"an active workflow with ID '{request.InstanceId}' already exists"));
            }

            var now = Timestamp.FromDateTime(DateTime.UtcNow);
            var instance = new Instance(request.InstanceId, request.Name, request.Input, Guid.NewGuid().ToString("N"), now);
            _instances.Add(instance.Id, instance);
            instance.Inbox.Add(new HistoryEvent
            {
                EventId = -1,
                Timestamp = now,
                ExecutionStarted = new ExecutionStartedEvent
                {
                    Name = request.Name,
                    Input = request.Input,
                    WorkflowInstance = new WorkflowInstance { InstanceId = instance.Id, ExecutionId = instance.ExecutionId },
                },
            });
            DispatchWorkflow(instance);
            return new CreateInstanceResponse { InstanceId = instance.Id };
        }
    }

    public GetInstanceResponse Get(GetInstanceRequest request)
    {
        ThrowIfDown();
        lock (_lock)
        {
            return Describe(request);
        }
    }

    public async Task<GetInstanceResponse> WaitForCompletionAsync(GetInstanceRequest request, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        Task done;
        CancellationToken down;
        lock (_lock)
        {
            if (!_instances.TryGetValue(request.InstanceId, out var instance))
            {
                return new GetInstanceResponse { Exists = false };
            }

            done = instance.Done.Task;
            down = _down.Token;
        }

        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, down, _disposed.Token);
        try
        {
            await done.WaitAsync(either.Token);
        }
        catch (OperationCanceledException) when (down.IsCancellationRequested)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "the sidecar went away"));
        }

        lock (_lock)
        {
            return Describe(request);
        }
    }

    /// <summary>The work item stream of one worker: open until the worker leaves or the sidecar goes down.</summary>
    public async Task StreamWorkItemsAsync(IServerStreamWriter<WorkItem> stream, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        CancellationToken down;
        lock (_lock)
        {
            down = _down.Token;
        }

        var mine = new List<string>();
        Interlocked.Increment(ref _connected);
        using var open = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, down, _disposed.Token);
        try
        {
            while (true)
            {
                var item = await _queue.Reader.ReadAsync(open.Token);
                lock (_lock)
                {
                    _inFlight[item.CompletionToken] = new Dispatched(item, mine);
                    mine.Add(item.CompletionToken);
                }

                await stream.WriteAsync(item, open.Token);
            }
        }
        catch (OperationCanceledException) when (open.IsCancellationRequested)
        {
            // The worker left or the sidecar went down: the stream ends.
        }
        finally
        {
            Interlocked.Decrement(ref _connected);
            lock (_lock)
            {
                // What this worker took and never finished goes to the next one.
                foreach (var token in mine.Where(_inFlight.ContainsKey))
                {
                    _inFlight.Remove(token, out var dispatched);
                    _queue.Writer.TryWrite(dispatched!.Item);
                }
            }
        }

        if (down.IsCancellationRequested)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "the sidecar went away"));
        }
    }

    public CompleteTaskResponse CompleteWorkflow(WorkflowResponse response)
    {
        ThrowIfDown();
        lock (_lock)
        {
            var instance = Take(response.CompletionToken, response.InstanceId);
            if (instance?.Turn is not { } turn)
            {
                return new CompleteTaskResponse();
            }

            instance.History.AddRange(turn);
            instance.Turn = null;
            if (response.CustomStatus is { } status)
            {
                instance.CustomStatus = status;
            }

            foreach (var action in response.Actions)
            {
                Apply(instance, action);
            }

            instance.LastUpdated = Timestamp.FromDateTime(DateTime.UtcNow);
            DispatchWorkflow(instance);
            return new CompleteTaskResponse();
        }
    }

    public CompleteTaskResponse CompleteActivity(ActivityResponse response)
    {
        ThrowIfDown();
        lock (_lock)
        {
            if (Take(response.CompletionToken, response.InstanceId) is not { } instance || instance.Finished)
            {
                return new CompleteTaskResponse();
            }

            var executionId = instance.History.FirstOrDefault(e => e.EventId == response.TaskId && e.TaskScheduled is not null)?.TaskScheduled.TaskExecutionId ?? string.Empty;
            instance.Inbox.Add(response.FailureDetails is { } failure
                ? new HistoryEvent { EventId = -1, Timestamp = Now(), TaskFailed = new TaskFailedEvent { TaskScheduledId = response.TaskId, FailureDetails = failure, TaskExecutionId = executionId } }
                : new HistoryEvent { EventId = -1, Timestamp = Now(), TaskCompleted = new TaskCompletedEvent { TaskScheduledId = response.TaskId, Result = response.Result, TaskExecutionId = executionId } });
            DispatchWorkflow(instance);
            return new CompleteTaskResponse();
        }
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
        _down.Dispose();
    }

    private void ThrowIfDown()
    {
        if (Volatile.Read(ref _refusing))
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "connection refused: the sidecar is restarting"));
        }
    }

    /// <summary>Turns what the workflow asked for into history, as daprd's runtime state does with a turn's actions.</summary>
    private void Apply(Instance instance, WorkflowAction action)
    {
        switch (action.WorkflowActionTypeCase)
        {
            case WorkflowAction.WorkflowActionTypeOneofCase.ScheduleTask:
                var task = action.ScheduleTask;
                instance.History.Add(new HistoryEvent
                {
                    EventId = action.Id,
                    Timestamp = Now(),
                    TaskScheduled = new TaskScheduledEvent { Name = task.Name, Input = task.Input, TaskExecutionId = task.TaskExecutionId },
                });
                Enqueue(new WorkItem
                {
                    ActivityRequest = new ActivityRequest
                    {
                        Name = task.Name,
                        Input = task.Input,
                        WorkflowInstance = new WorkflowInstance { InstanceId = instance.Id, ExecutionId = instance.ExecutionId },
                        TaskId = action.Id,
                        TaskExecutionId = task.TaskExecutionId,
                    },
                });
                break;
            case WorkflowAction.WorkflowActionTypeOneofCase.CreateTimer:
                var timer = action.CreateTimer;
                var created = new TimerCreatedEvent { FireAt = timer.FireAt };
                if (timer.OriginCase == CreateTimerAction.OriginOneofCase.CreateTimer)
                {
                    created.CreateTimer = timer.CreateTimer;
                }

                instance.History.Add(new HistoryEvent { EventId = action.Id, Timestamp = Now(), TimerCreated = created });
                _ = FireAsync(instance, action.Id, timer.FireAt);
                break;
            case WorkflowAction.WorkflowActionTypeOneofCase.CompleteWorkflow:
                var complete = action.CompleteWorkflow;
                instance.History.Add(new HistoryEvent
                {
                    EventId = action.Id,
                    Timestamp = Now(),
                    ExecutionCompleted = new ExecutionCompletedEvent { WorkflowStatus = complete.WorkflowStatus, Result = complete.Result, FailureDetails = complete.FailureDetails },
                });
                Finish(instance, complete.WorkflowStatus, complete.Result, complete.FailureDetails);
                break;
            default:
                Finish(instance, OrchestrationStatus.Failed, null, new TaskFailureDetails
                {
                    ErrorType = "FakeSidecarUnsupported",
                    ErrorMessage = $"The fake Dapr sidecar does not implement the {action.WorkflowActionTypeCase} workflow action.",
                });
                break;
        }
    }

    private async Task FireAsync(Instance instance, int timerId, Timestamp fireAt)
    {
        var delay = fireAt.ToDateTime() - DateTime.UtcNow;
        try
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, _disposed.Token);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        lock (_lock)
        {
            if (!instance.Finished)
            {
                instance.Inbox.Add(new HistoryEvent { EventId = -1, Timestamp = Now(), TimerFired = new TimerFiredEvent { TimerId = timerId, FireAt = fireAt } });
                DispatchWorkflow(instance);
            }
        }
    }

    private static void Finish(Instance instance, OrchestrationStatus status, string? output, TaskFailureDetails? failure)
    {
        instance.Status = status;
        instance.Output = output;
        instance.Failure = failure;
        instance.Inbox.Clear();
        instance.Done.TrySetResult();
    }

    /// <summary>Hands the instance's new events to a worker, with its whole history, unless a turn is already out.</summary>
    private void DispatchWorkflow(Instance instance)
    {
        if (instance.Turn is not null || instance.Finished || instance.Inbox.Count == 0)
        {
            return;
        }

        // Every turn opens with an OrchestratorStarted event that carries the turn's time.
        List<HistoryEvent> turn = [new HistoryEvent { EventId = -1, Timestamp = Now(), WorkflowStarted = new WorkflowStartedEvent() }, .. instance.Inbox];
        instance.Inbox.Clear();
        instance.Turn = turn;
        instance.Status = OrchestrationStatus.Running;
        WorkflowWorkItems++;
        Enqueue(new WorkItem
        {
            WorkflowRequest = new WorkflowRequest
            {
                InstanceId = instance.Id,
                ExecutionId = instance.ExecutionId,
                PastEvents = { instance.History },
                NewEvents = { turn },
            },
        });
    }

    private void Enqueue(WorkItem item)
    {
        item.CompletionToken = Interlocked.Increment(ref _tokens).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _queue.Writer.TryWrite(item);
    }

    /// <summary>The instance a completion is for; null for a token already answered or handed to another worker.</summary>
    private Instance? Take(string token, string instanceId)
    {
        if (!_inFlight.Remove(token, out var dispatched))
        {
            return null;
        }

        dispatched.Holder.Remove(token);
        return _instances.GetValueOrDefault(instanceId);
    }

    private GetInstanceResponse Describe(GetInstanceRequest request)
    {
        if (!_instances.TryGetValue(request.InstanceId, out var instance))
        {
            return new GetInstanceResponse { Exists = false };
        }

        var state = new WorkflowState
        {
            InstanceId = instance.Id,
            Name = instance.Name,
            WorkflowStatus = instance.Status,
            CreatedTimestamp = instance.Created,
            LastUpdatedTimestamp = instance.LastUpdated,
            ExecutionId = instance.ExecutionId,
            FailureDetails = instance.Failure,
        };
        if (request.GetInputsAndOutputs)
        {
            state.Input = instance.Input;
            state.Output = instance.Output;
            state.CustomStatus = instance.CustomStatus;
        }

        return new GetInstanceResponse { Exists = true, WorkflowState = state };
    }

    private static Timestamp Now() => Timestamp.FromDateTime(DateTime.UtcNow);

    private sealed record Dispatched(WorkItem Item, List<string> Holder);

    private sealed class Instance(string id, string name, string? input, string executionId, Timestamp created)
    {
        public string Id { get; } = id;

        public string Name { get; } = name;

        public string? Input { get; } = input;

        public string ExecutionId { get; } = executionId;

        public Timestamp Created { get; } = created;

        public Timestamp LastUpdated { get; set; } = created;

        public List<HistoryEvent> History { get; } = [];

        /// <summary>Events that arrived since the last turn was handed out.</summary>
        public List<HistoryEvent> Inbox { get; } = [];

        /// <summary>The new events of the turn a worker holds, added to the history when it answers.</summary>
        public List<HistoryEvent>? Turn { get; set; }

        public OrchestrationStatus Status { get; set; } = OrchestrationStatus.Pending;

        public string? Output { get; set; }

        public string? CustomStatus { get; set; }

        public TaskFailureDetails? Failure { get; set; }

        public bool Finished => Status is OrchestrationStatus.Completed or OrchestrationStatus.Failed or OrchestrationStatus.Terminated;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
