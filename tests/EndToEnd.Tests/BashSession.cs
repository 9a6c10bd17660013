using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ModelPlatform.EndToEnd.Tests;

/// <summary>
/// One bash process that runs commands one at a time, as a reader typing them would: variables set
/// by one command are there for the next, and each command's output and exit status come back on
/// their own. Every <c>curl</c> also reports the HTTP status of each answer (as an extra
/// <c>HTTP-STATUS nnn</c> line on its standard error), so a command that only prints a body with
/// <c>-s</c> still shows a refused request. The commands themselves are run unchanged.
/// </summary>
internal sealed partial class BashSession : IDisposable
{
    private const string Done = "__walkthrough_command_done__";

    // %{stderr} switches curl's --write-out to standard error, so the status never enters a pipe
    // the command sends the body through (| head, | grep).
    private const string Prelude = """
        curl() { command curl --write-out '%{stderr}\nHTTP-STATUS %{http_code}\n' "$@"; }
        """;

    private readonly Process _bash;

    public BashSession(string workingDirectory)
    {
        var start = new ProcessStartInfo("bash", ["--noprofile", "--norc"])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _bash = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        _bash.StandardInput.NewLine = "\n";
        _bash.StandardInput.WriteLine(Prelude);
        _bash.StandardInput.Flush();
    }

    /// <summary>Runs <paramref name="command"/> (standard error joined to its output) and waits for it to end.</summary>
    public async Task<CommandResult> RunAsync(string command, CancellationToken cancellationToken)
    {
        // A group, not a subshell: assignments stay for later commands. The marker starts on a new
        // line because output such as `head -c 300` ends without one.
        await _bash.StandardInput.WriteLineAsync($"{{ {command}\n}} 2>&1; printf '\\n{Done} %s\\n' \"$?\"");
        await _bash.StandardInput.FlushAsync(cancellationToken);
        var output = new StringBuilder();
        while (await _bash.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith(Done + " ", StringComparison.Ordinal))
            {
                var text = output.ToString();
                var statuses = HttpStatusLine().Matches(text).Select(match => int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
                return new CommandResult(
                    command,
                    int.Parse(line[(Done.Length + 1)..], CultureInfo.InvariantCulture),
                    HttpStatusLine().Replace(text, string.Empty).TrimEnd('\n'),
                    statuses);
            }

            output.Append(line).Append('\n');
        }

        throw new InvalidOperationException($"bash ended while running: {command}\n{output}\n{await _bash.StandardError.ReadToEndAsync(cancellationToken)}");
    }

    public void Dispose()
    {
        if (!_bash.HasExited)
        {
            _bash.Kill();
        }

        _bash.Dispose();
    }

    // Anywhere, not only at a line's start: a body piped through head may still be printing.
    [GeneratedRegex(@"\n?HTTP-STATUS (\d{3})\n")]
    private static partial Regex HttpStatusLine();
}

/// <summary>What one command printed, its exit status and the HTTP status of every answer curl got.</summary>
internal sealed record CommandResult(string Command, int ExitCode, string Output, IReadOnlyList<int> HttpStatuses)
{
    public override string ToString() =>
        $"$ {Command}\nexit {ExitCode}, HTTP {string.Join(", ", HttpStatuses)}\n{Output}";
}
