using System.Text.Json;
using Dapr.Workflow;
using Grpc.Core;

namespace ModelPlatform.Deployer.Workflows.Dapr;

/// <summary>
/// Starts and awaits workflows in Dapr Workflow through the sidecar. Dapr keeps each instance's
/// history in its actor state store and replays it after a restart, as the embedded host does
/// with its journal; the workflow classes are the same.
/// </summary>
/// <remarks>
/// The sidecar refuses workflow calls for a while in routine operation: the SDK's worker connects
/// in the background (and reconnects every 5 s after daprd restarts), and until it has, daprd has
/// not registered the workflow actors and answers "actor type ... not registered" (Unknown); a
/// restarting daprd is Unavailable. Each call therefore tries again with backoff for
/// <see cref="RetryWindow"/>, then surfaces <see cref="WorkflowEngineUnavailableException"/>, a
/// transient failure the caller retries later. Refusals that trying again cannot change (an
/// invalid argument, a workflow that already exists) pass through as they are.
/// </remarks>
internal sealed partial class DaprWorkflowScheduler(DaprWorkflowClient client, TimeProvider time, ILogger<DaprWorkflowScheduler> logger) : IWorkflowScheduler
{
    /// <summary>How long one call keeps trying while the engine cannot be reached.</summary>
    public static readonly TimeSpan RetryWindow = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    public Task ScheduleAsync(string workflowName, string instanceId, object? input, CancellationToken cancellationToken) =>
        WhileReachableAsync(instanceId, async token =>
        {
            // Instance ids name a revision and an attempt: one that exists already is that very attempt.
            if (await client.GetWorkflowStateAsync(instanceId, getInputsAndOutputs: false, token) is { Exists: true })
            {
                return true;
            }

            await client.ScheduleNewWorkflowAsync(workflowName, instanceId, input, startTime: null, token);
            return true;
        }, cancellationToken);

    public Task<WorkflowOutcome?> WaitForCompletionAsync(string instanceId, CancellationToken cancellationToken) =>
        WhileReachableAsync(instanceId, async token =>
        {
            if (await client.GetWorkflowStateAsync(instanceId, getInputsAndOutputs: false, token) is not { Exists: true })
            {
                return null;
            }

            var state = await client.WaitForWorkflowCompletionAsync(instanceId, getInputsAndOutputs: true, token);
            return ToOutcome(instanceId, state);
        }, cancellationToken);

    internal static WorkflowOutcome ToOutcome(string instanceId, WorkflowState state) => state.RuntimeStatus switch
    {
        WorkflowRuntimeStatus.Completed => new WorkflowOutcome(instanceId, true, null, state.ReadOutputAs<JsonElement?>()?.GetRawText()),
        var status => new WorkflowOutcome(instanceId, false, state.FailureDetails?.ErrorMessage ?? $"the workflow ended {status}"),
    };

    /// <summary>Whether a failed call may succeed later unchanged: the engine, not the request, was the problem.</summary>
    internal static bool IsTransient(RpcException exception, CancellationToken cancellationToken) => exception.StatusCode switch
    {
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Unknown or StatusCode.Internal
            or StatusCode.ResourceExhausted or StatusCode.Aborted => true,
        StatusCode.Cancelled => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    private async Task<T> WhileReachableAsync<T>(string instanceId, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        // Measured from the first refusal: a wait that ran for an hour and then broke gets its own window.
        DateTimeOffset? refusedSince = null;
        for (var delay = FirstDelay; ; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks)))
        {
            try
            {
                return await call(cancellationToken);
            }
            catch (RpcException ex) when (IsTransient(ex, cancellationToken))
            {
                refusedSince ??= time.GetUtcNow();
                if (time.GetUtcNow() + delay >= refusedSince + RetryWindow)
                {
                    throw new WorkflowEngineUnavailableException(
                        $"Dapr Workflow did not answer for workflow {instanceId} within {RetryWindow.TotalSeconds:0} s: {ex.Status.Detail}", ex);
                }

                LogWaiting(logger, instanceId, ex.StatusCode, ex.Status.Detail);
            }

            await Task.Delay(delay, time, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dapr Workflow refused a call for workflow {Instance} ({Code}: {Detail}); trying again")]
    private static partial void LogWaiting(ILogger logger, string instance, StatusCode code, string detail);
}
