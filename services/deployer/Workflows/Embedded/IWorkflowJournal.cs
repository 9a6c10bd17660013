namespace ModelPlatform.Deployer.Workflows.Embedded;

/// <summary>
/// The embedded workflow host's durable memory: instances, and for each the results of the steps it
/// completed, in order. A restarted host replays an instance from its journal: completed steps return
/// their recorded results instead of running again.
/// </summary>
internal interface IWorkflowJournal
{
    Task CreateInstanceAsync(WorkflowInstanceRecord instance, CancellationToken cancellationToken);

    Task<WorkflowInstanceRecord?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken);

    Task UpdateInstanceAsync(string instanceId, string status, string? input, string? output, string? error, CancellationToken cancellationToken);

    Task<IReadOnlyList<WorkflowInstanceRecord>> ListRunningAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<JournalEntry>> ReadAsync(string instanceId, CancellationToken cancellationToken);

    Task AppendAsync(string instanceId, JournalEntry entry, CancellationToken cancellationToken);

    /// <summary>Forgets the steps of an instance (for ContinueAsNew).</summary>
    Task ClearAsync(string instanceId, CancellationToken cancellationToken);
}

/// <summary>A workflow instance.</summary>
internal sealed record WorkflowInstanceRecord(string Id, string Workflow, string? Input, string Status, string? Output, string? Error, DateTimeOffset Created);

/// <summary>One completed step: an activity result (or failure), a timer, a received event or a child workflow's result.</summary>
internal sealed record JournalEntry(int Sequence, string Kind, string Name, string? Result, string? Error, DateTimeOffset Recorded);

/// <summary>Instance statuses.</summary>
internal static class WorkflowStatus
{
    public const string Running = "Running";
    public const string Completed = "Completed";
    public const string Failed = "Failed";
}
