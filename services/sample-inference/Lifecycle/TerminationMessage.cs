namespace ModelPlatform.SampleInference.Lifecycle;

/// <summary>
/// Leaves the reason for a fatal exit where the supervisor reads it: the file named by
/// <c>TERMINATION_MESSAGE_PATH</c>, when set (the deployer's process runtime sets it; on Kubernetes
/// point it at the container's <c>terminationMessagePath</c>). The log still has the whole story;
/// this is the one line a status can show.
/// </summary>
internal static class TerminationMessage
{
    public const string Variable = "TERMINATION_MESSAGE_PATH";

    /// <summary>A start-up that throws (a setting out of range, a port taken) leaves its reason too.</summary>
    public static void WriteOnUnhandledException() =>
        AppDomain.CurrentDomain.UnhandledException += (_, args) =>
            Write(args.ExceptionObject is Exception exception ? exception.Message : args.ExceptionObject.ToString() ?? "unhandled exception");

    public static void Write(string reason)
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } path)
        {
            return;
        }

        try
        {
            File.WriteAllText(path, reason);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The reason is in the log too; a message that cannot be written must not hide it.
        }
    }
}
