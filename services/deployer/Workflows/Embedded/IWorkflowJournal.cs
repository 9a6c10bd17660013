namespace ModelPlatform.Deployer.Workflows.Embedded;

/// <summary>
/// The embedded workflow host's durable memory: instances, and for each running one the results of
/// its steps in the order they arrived. The workflow replays over them: completed steps return their
/// recorded results instead of running again. A finished instance keeps its outcome, not its steps.
/// </summary>
internal interface IWorkflowJournal
{
    Task CreateInstanceAsync(WorkflowInstanceRecord instance, CancellationToken cancellationToken);

    Task<WorkflowInstanceRecord?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Records how the instance ended and forgets its steps, which nothing replays any more.</summary>
    Task FinishAsync(string instanceId, string status, string? output, string? error, CancellationToken cancellationToken);

    Task<IReadOnlyList<WorkflowInstanceRecord>> ListRunningAsync(CancellationToken cancellationToken);

    /// <summary>The instance's step results, in the order they were appended.</summary>
    Task<IReadOnlyList<JournalEntry>> ReadAsync(string instanceId, CancellationToken cancellationToken);

    Task AppendAsync(string instanceId, JournalEntry entry, CancellationToken cancellationToken);

    /// <summary>Forgets the instances that finished before <paramref name="finishedBefore"/>.</summary>
    Task PurgeFinishedAsync(DateTimeOffset finishedBefore, CancellationToken cancellationToken);
}

/// <summary>A workflow instance.</summary>
internal sealed record WorkflowInstanceRecord(string Id, string Workflow, string? Input, string Status, string? Output, string? Error, DateTimeOffset Created);

/// <summary>One completed step: an activity's result (or failure), a timer that fired, or a received event.</summary>
internal sealed record JournalEntry(int Sequence, string Kind, string Name, string? Result, string? Error, DateTimeOffset Recorded);

/// <summary>Instance statuses.</summary>
internal static class WorkflowStatus
{
    public const string Running = "Running";
    public const string Completed = "Completed";
    public const string Failed = "Failed";
}
