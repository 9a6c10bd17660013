namespace ModelPlatform.Deployer.Workflows;

/// <summary>
/// Starts workflows and waits for them: the in-process host in the embedded runtime, Dapr Workflow
/// through the sidecar in production. Both run the same <c>Workflow&lt;,&gt;</c> classes.
/// </summary>
internal interface IWorkflowScheduler
{
    /// <summary>Starts <paramref name="workflowName"/> as <paramref name="instanceId"/>; nothing if that instance already exists.</summary>
    Task ScheduleAsync(string workflowName, string instanceId, object? input, CancellationToken cancellationToken);

    /// <summary>Waits until the instance completes or fails; its outcome, or null if there is no such instance.</summary>
    Task<WorkflowOutcome?> WaitForCompletionAsync(string instanceId, CancellationToken cancellationToken);
}

/// <summary>How a workflow instance ended, with its output as JSON when it succeeded.</summary>
internal sealed record WorkflowOutcome(string InstanceId, bool Succeeded, string? Error, string? Output = null);
