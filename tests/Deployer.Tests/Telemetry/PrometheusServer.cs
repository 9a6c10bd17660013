using System.Diagnostics;
using System.Globalization;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Telemetry;

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c> package) on a free port, scraping one target
/// every second. The binary is found on PATH or in /usr/bin, or installed with apt-get when the tests
/// run as root (as on a fresh CI machine); apt-get gets a deadline, so an unreachable mirror fails
/// the test with a clear message instead of hanging it.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private static readonly TimeSpan InstallDeadline = TimeSpan.FromMinutes(5);

    private readonly Process _process;
    private readonly string _directory;

    private PrometheusServer(Process process, string directory, Uri url) => (_process, _directory, Url) = (process, directory, url);

    public Uri Url { get; }

    public static async Task<PrometheusServer> StartAsync(Uri target, CancellationToken cancellationToken)
    {
        var binary = await FindOrInstallAsync(cancellationToken);
        var directory = Directory.CreateTempSubdirectory("modelplatform-prometheus-").FullName;
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: gateway
                metrics_path: {target.AbsolutePath}
                static_configs:
                  - targets: ['{target.Authority}']
            """, cancellationToken);
        var port = FreePort.Next();
        var start = new ProcessStartInfo(binary)
        {
            ArgumentList =
            {
                "--config.file=" + config,
                "--storage.tsdb.path=" + Path.Combine(directory, "data"),
                "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{binary} did not start.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(process, directory, new Uri($"http://127.0.0.1:{port}/"));
        await server.WaitReadyAsync(cancellationToken);
        return server;
    }

    /// <summary>Waits until Prometheus has scraped the target successfully.</summary>
    public async Task WaitForScrapeAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = Url };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            var answer = await http.GetStringAsync("api/v1/query?query=up", cancellationToken);
            if (answer.Contains("\"1\"]", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(250, cancellationToken);
        }

        throw new TimeoutException("Prometheus did not scrape the target within 60 s.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = Url };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Prometheus exited with {_process.ExitCode} at start.");
            }

            try
            {
                using var response = await http.GetAsync("-/ready", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new TimeoutException("Prometheus was not ready within 60 s.");
    }

    private static async Task<string> FindOrInstallAsync(CancellationToken cancellationToken)
    {
        await InstallLock.WaitAsync(cancellationToken);
        try
        {
            if (Find() is { } found)
            {
                return found;
            }

            if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists("/usr/bin/apt-get"))
            {
                throw new InvalidOperationException(
                    "These tests need a Prometheus server: install Debian's package (sudo apt-get install -y prometheus) " +
                    "or put a prometheus binary on PATH. They install it themselves only when run as root on Debian or Ubuntu.");
            }

            // Without a package list (a fresh container), install fails: update once and try again.
            if (await AptAsync(["install", "-y", "--no-install-recommends", "prometheus"], cancellationToken) != 0)
            {
                await AptAsync(["update"], cancellationToken);
                await AptAsync(["install", "-y", "--no-install-recommends", "prometheus"], cancellationToken);
            }

            return Find() ?? throw new InvalidOperationException("apt-get install prometheus finished, but no prometheus binary is on PATH or in /usr/bin.");
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin")
            .Select(directory => Path.Combine(directory, "prometheus"))
            .FirstOrDefault(File.Exists);

    private static async Task<int> AptAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("apt-get") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var apt = Process.Start(start)!;
        var output = apt.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = apt.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(InstallDeadline);
        try
        {
            await apt.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            apt.Kill(entireProcessTree: true);
            throw new InvalidOperationException(
                $"apt-get {string.Join(' ', arguments)} did not finish within {InstallDeadline.TotalMinutes} minutes (is the package mirror reachable?). " +
                "Install Prometheus yourself (apt-get install -y prometheus) to run these tests.");
        }

        return apt.ExitCode;
    }
}
