namespace ModelPlatform.Cli;

/// <summary>
/// What the CLI takes from the process it runs in: its streams, environment variables and current
/// directory. Tests run the whole CLI in process with their own.
/// </summary>
internal sealed record CliEnvironment(
    TextWriter Out,
    TextWriter Error,
    Func<string, string?> Variable,
    string CurrentDirectory,
    bool Interactive)
{
    /// <summary>The real console; interactive (progress bars, colour) only when stdout is a terminal.</summary>
    public static CliEnvironment FromProcess() => new(
        Console.Out,
        Console.Error,
        Environment.GetEnvironmentVariable,
        Directory.GetCurrentDirectory(),
        !Console.IsOutputRedirected);
}
