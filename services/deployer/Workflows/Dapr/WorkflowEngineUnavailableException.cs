namespace ModelPlatform.Deployer.Workflows.Dapr;

/// <summary>
/// Dapr Workflow could not be reached for longer than the scheduler waits (the sidecar restarting,
/// the app's workflow worker not connected yet, placement or the scheduler service away): nothing
/// was decided about the revision, and the same call later will go on where this one stopped.
/// </summary>
internal sealed class WorkflowEngineUnavailableException : Exception
{
    public WorkflowEngineUnavailableException()
    {
    }

    public WorkflowEngineUnavailableException(string message)
        : base(message)
    {
    }

    public WorkflowEngineUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
