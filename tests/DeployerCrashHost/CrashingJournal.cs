using System.Diagnostics;
using ModelPlatform.Deployer.Workflows.Embedded;

namespace ModelPlatform.Deployer.CrashHost;

/// <summary>
/// A journal that kills the process (SIGKILL) when asked to record the result of one activity: the
/// worst moment to die, with the side effect done and its result not journaled.
/// </summary>
internal sealed partial class CrashingJournal(IWorkflowJournal inner, string activity, ILogger<CrashingJournal> logger) : IWorkflowJournal
{
    public Task AppendAsync(string instanceId, JournalEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Kind == StepKind.Activity && string.Equals(entry.Name, activity, StringComparison.Ordinal))
        {
            LogCrashing(logger, activity);
            Process.GetCurrentProcess().Kill();
        }

        return inner.AppendAsync(instanceId, entry, cancellationToken);
    }

    public Task CreateInstanceAsync(WorkflowInstanceRecord instance, CancellationToken cancellationToken) =>
        inner.CreateInstanceAsync(instance, cancellationToken);

    public Task<WorkflowInstanceRecord?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken) =>
        inner.GetInstanceAsync(instanceId, cancellationToken);

    public Task FinishAsync(string instanceId, string status, string? output, string? error, CancellationToken cancellationToken) =>
        inner.FinishAsync(instanceId, status, output, error, cancellationToken);

    public Task<IReadOnlyList<WorkflowInstanceRecord>> ListRunningAsync(CancellationToken cancellationToken) =>
        inner.ListRunningAsync(cancellationToken);

    public Task<IReadOnlyList<JournalEntry>> ReadAsync(string instanceId, CancellationToken cancellationToken) =>
        inner.ReadAsync(instanceId, cancellationToken);

    public Task PurgeFinishedAsync(DateTimeOffset finishedBefore, CancellationToken cancellationToken) =>
        inner.PurgeFinishedAsync(finishedBefore, cancellationToken);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Fault injection: killing the deployer after activity {Activity}, before its result is journaled")]
    private static partial void LogCrashing(ILogger logger, string activity);
}
