using System.Diagnostics;
using ModelPlatform.Testing;

namespace ModelPlatform.Cli.Tests;

/// <summary>The built CLI (clients/cli/bin) run as a real process, as a user runs it: its exit code, stdout and stderr.</summary>
internal static class CliProcess
{
    public static string Dll { get; } = Path.Combine(RepositoryPaths.Root, "clients", "cli", "bin", RepositoryPaths.Configuration, "net10.0", "mp.dll");

    public static async Task<InProcessCli.Result> RunAsync(
        string workingDirectory, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken, params string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the CLI.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"mp {string.Join(' ', args)} did not exit.\n{await output}\n{await error}");
        }

        return new InProcessCli.Result(process.ExitCode, await output, await error);
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
