using System.Text.Json.Nodes;

namespace ModelPlatform.Cli;

/// <summary>
/// Why a command stopped, in the words the user reads: a title, what happened, the fields the server
/// named, what to do about it, and the exit code that says so to a script.
/// </summary>
internal sealed class CliFailure : Exception
{
    public CliFailure(int exitCode, string title, string? detail = null, string? hint = null, Exception? innerException = null)
        : base(title, innerException)
    {
        ExitCode = exitCode;
        Title = title;
        Detail = detail;
        Hint = hint;
    }

    public int ExitCode { get; }

    public string Title { get; }

    public string? Detail { get; }

    public string? Hint { get; init; }

    /// <summary>The HTTP status of the answer that caused it, when there was one.</summary>
    public int? Status { get; init; }

    /// <summary>Per-field reasons, keyed by the field's JSON path (<c>stable.replicas</c>), from problem details' <c>errors</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string[]>> FieldErrors { get; init; } = [];

    /// <summary>The problem details as the server sent them, for <c>--output json</c>.</summary>
    public JsonObject? Problem { get; init; }

    public static CliFailure Usage(string title, string? hint = null) => new(ExitCodes.Usage, title, hint: hint);
}
