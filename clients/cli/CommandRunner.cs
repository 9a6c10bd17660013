using System.CommandLine;
using System.Text.Json;
using ModelPlatform.Cli.Connection;
using ModelPlatform.Cli.Output;

namespace ModelPlatform.Cli;

/// <summary>
/// Runs a command's body with its session, and turns every way it can stop into an exit code: a
/// <see cref="CliFailure"/> is printed in plain words (or JSON) on stderr, Ctrl+C is 130.
/// </summary>
internal sealed class CommandRunner(GlobalOptions options, CliEnvironment environment)
{
    public GlobalOptions Options { get; } = options;

    public void SetAction(Command command, Func<ParseResult, Session, CancellationToken, Task<int>> body)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.SetAction((parse, cancellationToken) => RunAsync(parse, body, cancellationToken));
    }

    private async Task<int> RunAsync(ParseResult parse, Func<ParseResult, Session, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        var output = new CliOutput(environment, parse.GetValue(Options.Output));
        try
        {
            using var session = new Session(output, ConnectionResolver.Resolve(parse, Options, environment), environment.CurrentDirectory);
            return await body(parse, session, cancellationToken);
        }
        catch (CliFailure failure)
        {
            ProblemRenderer.Write(failure, output);
            return failure.ExitCode;
        }
        catch (JsonException ex)
        {
            ProblemRenderer.Write(new CliFailure(ExitCodes.Unexpected, "The server's answer is not the JSON the CLI expects.", ex.Message), output);
            return ExitCodes.Unexpected;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            output.Error.WriteLine("Cancelled.");
            return ExitCodes.Cancelled;
        }
    }
}
