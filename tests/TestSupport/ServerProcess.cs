using System.Collections.Concurrent;
using System.Diagnostics;

namespace ModelPlatform.Testing;

/// <summary>
/// A service running as a real child process (<c>dotnet service.dll</c>) with its output captured,
/// so that tests speak real HTTP to it and can send it real signals.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private int _disposed;

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        process.OutputDataReceived += (_, e) => Capture(e.Data);
        process.ErrorDataReceived += (_, e) => Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the process printed so far, for assertions and failure messages.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Starts <paramref name="dll"/> with <paramref name="environment"/> added to this process's environment.</summary>
    public static ServerProcess Start(string dll, int port, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        StartIn(Path.GetDirectoryName(dll)!, dll, port, environment, arguments);

    /// <summary>As <see cref="Start"/>, in <paramref name="workingDirectory"/> (for paths a service resolves from it).</summary>
    public static ServerProcess StartIn(string workingDirectory, string dll, int port, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"The service is not built: {dll}. Build the solution first.", dll);
        }

        var start = new ProcessStartInfo(DotnetHost(), [dll, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {dll}.");
        return new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"));
    }

    /// <summary>Polls <paramref name="path"/> until it answers 200, failing with the output if the process dies or time runs out.</summary>
    public async Task WaitUntilOkAsync(string path, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The process exited with code {_process.ExitCode} before {path} answered 200.\n{Output}");
            }

            try
            {
                using var response = await client.GetAsync(path, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException($"{path} did not answer 200 within {timeout}.\n{Output}");
    }

    public void Terminate() => Signals.Terminate(_process.Id);

    /// <summary>SIGKILL to this process alone, as a crash would: its children live on.</summary>
    public async Task CrashAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The process did not exit within {timeout}.\n{Output}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Capture(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
