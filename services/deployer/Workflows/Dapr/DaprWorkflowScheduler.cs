using System.Text.Json;
using Dapr.Workflow;

namespace ModelPlatform.Deployer.Workflows.Dapr;

/// <summary>
/// Starts and awaits workflows in Dapr Workflow through the sidecar. Dapr keeps each instance's
/// history in its actor state store and replays it after a restart, as the embedded host does
/// with its journal; the workflow classes are the same.
/// </summary>
internal sealed class DaprWorkflowScheduler(DaprWorkflowClient client) : IWorkflowScheduler
{
    public async Task ScheduleAsync(string workflowName, string instanceId, object? input, CancellationToken cancellationToken)
    {
        // Instance ids name a revision and an attempt: one that exists already is that very attempt.
        if (await client.GetWorkflowStateAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is { Exists: true })
        {
            return;
        }

        await client.ScheduleNewWorkflowAsync(workflowName, instanceId, input, startTime: null, cancellationToken);
    }

    public async Task<WorkflowOutcome?> WaitForCompletionAsync(string instanceId, CancellationToken cancellationToken)
    {
        if (await client.GetWorkflowStateAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is not { Exists: true })
        {
            return null;
        }

        var state = await client.WaitForWorkflowCompletionAsync(instanceId, getInputsAndOutputs: true, cancellationToken);
        return ToOutcome(instanceId, state);
    }

    internal static WorkflowOutcome ToOutcome(string instanceId, WorkflowState state) => state.RuntimeStatus switch
    {
        WorkflowRuntimeStatus.Completed => new WorkflowOutcome(instanceId, true, null, state.ReadOutputAs<JsonElement?>()?.GetRawText()),
        var status => new WorkflowOutcome(instanceId, false, state.FailureDetails?.ErrorMessage ?? $"the workflow ended {status}"),
    };
}
