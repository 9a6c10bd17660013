using ModelPlatform.Cli;

namespace ModelPlatform.Cli.Tests;

/// <summary>The whole CLI run in the test process with its own streams, environment and current directory.</summary>
internal static class InProcessCli
{
    public sealed record Result(int ExitCode, string Out, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
    }

    public static async Task<Result> RunAsync(string[] args, IReadOnlyDictionary<string, string>? variables = null, string? currentDirectory = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new CliEnvironment(
            output, error,
            name => variables?.GetValueOrDefault(name),
            currentDirectory ?? Directory.CreateTempSubdirectory("mp-cwd-").FullName,
            Interactive: false);
        var code = await CliApplication.RunAsync(args, environment, TestContext.Current.CancellationToken);
        return new Result(code, output.ToString(), error.ToString());
    }
}
