using System.CommandLine;
using ModelPlatform.Cli.Commands;
using ModelPlatform.Cli.Connection;

namespace ModelPlatform.Cli;

/// <summary>The <c>mp</c> command line: its commands, and parsing with usage errors as exit code 2.</summary>
internal static class CliApplication
{
    public static RootCommand Build(CliEnvironment environment)
    {
        var options = new GlobalOptions();
        var runner = new CommandRunner(options, environment);
        var root = new RootCommand("mp: deploy ONNX models to the model platform and run them safely (docs/cli.md)");
        foreach (var option in options.All)
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(DeployCommand.Create(runner));
        root.Subcommands.Add(ListCommand.Create(runner));
        root.Subcommands.Add(StatusCommand.Create(runner));
        root.Subcommands.Add(ChangeCommands.Traffic(runner));
        root.Subcommands.Add(ChangeCommands.Promote(runner));
        root.Subcommands.Add(ChangeCommands.Rollback(runner));
        root.Subcommands.Add(RolloutCommand.Create(runner));
        root.Subcommands.Add(LogsCommand.Create(runner));
        root.Subcommands.Add(HistoryCommand.Create(runner));
        root.Subcommands.Add(ModelsCommand.Create(runner));
        root.Subcommands.Add(InferCommand.Create(runner));
        root.Subcommands.Add(ChangeCommands.Delete(runner));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var parse = Build(environment).Parse(args);
        // --help and --version clear parse errors (a missing argument does not stop help).
        if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
        {
            foreach (var error in parse.Errors)
            {
                await environment.Error.WriteLineAsync($"Error: {error.Message}");
            }

            await environment.Error.WriteLineAsync($"Run '{string.Join(' ', CommandPath(parse))} --help' for usage.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = environment.Out, Error = environment.Error }, cancellationToken);
    }

    private static Stack<string> CommandPath(ParseResult parse)
    {
        var names = new Stack<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Push(result.Command is RootCommand ? "mp" : result.Command.Name);
        }

        return names;
    }
}
