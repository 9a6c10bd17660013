using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.Provisioning.Processes;

/// <summary>
/// Supervises one replica process: starts it, probes its readiness, restarts it with backoff when
/// it dies, and stops it with SIGTERM (then SIGKILL) when asked. A replica found running after a
/// deployer restart is adopted: probed and, if it dies, restarted like any other. An adopted
/// replica is known by its pid and identity (start time and command line), checked before every
/// signal and in every liveness check, so a reused pid is neither signalled nor taken for it.
/// One slot never has two processes: a replica whose registration fails is stopped before the
/// next start, and no handle of a live process is dropped.
/// </summary>
internal sealed partial class ProcessReplica : IDisposable
{
    private readonly ReplicaSetSpec _spec;
    private readonly ReplicaLauncher _launcher;
    private readonly IReplicaRegistry _registry;
    private readonly ProcessProvisionerOptions _options;
    private readonly HttpClient _http;
    private readonly Action _changed;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _supervision;
    private readonly TaskCompletionSource _launched = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Process? _process;
    private volatile int _pid;
    private volatile ProcessIdentity? _identity;
    private volatile int _port;
    private volatile int _grpcPort;
    private volatile bool _ready;
    private volatile string? _lastExit;

    // UTC ticks of the current process's launch and of its first passed probe; 0 while unknown
    // (an adopted process was launched by a deployer before this one).
    private long _startedTicks;
    private long _readyTicks;
    private int _restarts;
    private int _failedStarts;

    public ProcessReplica(
        ReplicaSetSpec spec, int ordinal, string logPath, ReplicaLauncher launcher, IReplicaRegistry registry,
        IOptions<DeployerOptions> options, HttpClient http, Action changed, ILogger logger, RegisteredReplica? adopted = null)
    {
        _spec = spec;
        Ordinal = ordinal;
        LogPath = logPath;
        _launcher = launcher;
        _registry = registry;
        _options = options.Value.Processes;
        _http = http;
        _changed = changed;
        _logger = logger;
        if (adopted is not null)
        {
            _pid = adopted.Pid;
            _port = adopted.Port;
            _grpcPort = ReplicaLauncher.GrpcPortOf(adopted.Pid) ?? 0;
            _identity = adopted.Identity;
        }

        if (adopted is not null)
        {
            _launched.TrySetResult();
        }

        _supervision = Task.Run(() => SuperviseSafelyAsync(adopted is not null, _stop.Token));
    }

    public int Ordinal { get; }

    public string LogPath { get; }

    /// <summary>Starts in a row that died before ever becoming ready.</summary>
    public int FailedStarts => Volatile.Read(ref _failedStarts);

    public string? LastExit => _lastExit;

    public ReplicaObservation Observe() => new(
        Ordinal, $"http://127.0.0.1:{_port}", _ready, Volatile.Read(ref _restarts), _lastExit, LogPath,
        _grpcPort > 0 ? $"http://127.0.0.1:{_grpcPort}" : null,
        AtOrNull(Volatile.Read(ref _startedTicks)), AtOrNull(Volatile.Read(ref _readyTicks)));

    /// <summary>Completes once the first launch is registered (or failed), so a caller knows the replica is accounted for.</summary>
    public Task Launched => _launched.Task;

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _supervision;
        }
#pragma warning disable CA1031 // Whatever stopped supervision, the process must still be stopped.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        await TerminateAsync();
        await _registry.RemoveAsync(_spec.Id, Ordinal, CancellationToken.None);
        SetReady(false);
        Dispose();
    }

    public void Dispose()
    {
        _stop.Dispose();
        _process?.Dispose();
    }

    private async Task SuperviseSafelyAsync(bool adopted, CancellationToken cancellationToken)
    {
        try
        {
            await SuperviseAsync(adopted, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // A supervisor that dies would leave a replica unwatched; say why, loudly.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _lastExit = $"supervision failed: {ex.Message}";
            LogSupervisionFailed(_logger, ex, _spec.Id, Ordinal);
        }
        finally
        {
            _launched.TrySetResult();
            _changed();
        }
    }

    private async Task SuperviseAsync(bool adopted, CancellationToken cancellationToken)
    {
        var delay = _options.RestartDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (!adopted && !await TryLaunchAsync(cancellationToken))
            {
                Interlocked.Increment(ref _failedStarts);
                _launched.TrySetResult();
                _changed();
                await Task.Delay(delay, cancellationToken);
                delay = Next(delay);
                continue;
            }

            adopted = false;
            var becameReady = await MonitorAsync(cancellationToken);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            SetReady(false);
            Interlocked.Increment(ref _restarts);
            if (becameReady)
            {
                Interlocked.Exchange(ref _failedStarts, 0);
                delay = _options.RestartDelay;
            }
            else
            {
                Interlocked.Increment(ref _failedStarts);
            }

            _lastExit = DescribeExit();
            LogExited(_logger, _spec.Id, Ordinal, _lastExit, delay.TotalMilliseconds);
            _changed();
            await Task.Delay(delay, cancellationToken);
            delay = Next(delay);
        }
    }

    private async Task<bool> TryLaunchAsync(CancellationToken cancellationToken)
    {
        // Monitoring ends only when the process is gone; should it not be, it goes before another starts.
        await TerminateAsync();
        _process?.Dispose();
        _process = null;
        _identity = null;
        _pid = 0;
        Volatile.Write(ref _startedTicks, 0);
        Volatile.Write(ref _readyTicks, 0);
        int port;
        int grpcPort;
        try
        {
            port = ReplicaLauncher.FreePort();
            grpcPort = ReplicaLauncher.FreePort();
            _process = _launcher.Launch(_spec, port, grpcPort, LogPath);
            Volatile.Write(ref _startedTicks, DateTimeOffset.UtcNow.UtcTicks);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
        {
            _lastExit = $"could not start: {ex.Message}";
            return false;
        }

        _pid = _process.Id;
        _port = port;
        _grpcPort = grpcPort;
        _identity = _launcher.IdentityOf(_pid);
        try
        {
            await _registry.SaveAsync(new RegisteredReplica(_spec.Id, Ordinal, _pid, port, _spec, _identity), cancellationToken);
        }
#pragma warning disable CA1031 // Whatever the store's failure, an unregistered process must not be left running.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            // Unregistered, it would outlive a deployer crash with nobody to adopt or stop it; so it
            // stops now, and the next attempt starts (and registers) a fresh one.
            _lastExit = $"started but could not be registered, so it was stopped: {ex.Message}";
            LogRegistrationFailed(_logger, ex, _spec.Id, Ordinal, _pid);
            await TerminateAsync();
            return false;
        }

        _launched.TrySetResult();
        LogStarted(_logger, _spec.Id, Ordinal, _pid, port);
        return true;
    }

    /// <summary>Probes until the process dies (returning whether it was ever ready) or supervision stops.</summary>
    private async Task<bool> MonitorAsync(CancellationToken cancellationToken)
    {
        var everReady = false;
        while (!cancellationToken.IsCancellationRequested && IsAlive())
        {
            var ready = await ProbeAsync(cancellationToken);
            everReady |= ready;
            SetReady(ready);
            await Task.Delay(everReady ? _options.ProbeInterval : _options.StartupProbeInterval, cancellationToken)
                .ContinueWith(static _ => { }, TaskScheduler.Default);
        }

        return everReady;
    }

    private async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(new Uri($"http://127.0.0.1:{_port}/v2/models/{_spec.Deployment}/ready"), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private bool IsAlive() => _process is { } child ? !child.HasExited : _pid != 0 && PosixSignals.IsAlive(_pid) && IsOurs(_pid);

    /// <summary>
    /// Whether <paramref name="pid"/> is still this replica's process. A child is until it is reaped
    /// (its pid cannot be reused before); an adopted process, while its start time and command line
    /// are the ones registered.
    /// </summary>
    private bool IsOurs(int pid) => _process is { } child
        ? !child.HasExited
        : _identity is { } identity && _launcher.IsSameProcess(pid, identity);

    private async Task TerminateAsync()
    {
        var pid = _pid;
        if (pid == 0 || !IsAlive())
        {
            return;
        }

        PosixSignals.Terminate(pid, IsOurs);
        var deadline = Stopwatch.StartNew();
        while (IsAlive() && deadline.Elapsed < _options.StopTimeout)
        {
            await Task.Delay(20);
        }

        if (IsAlive())
        {
            PosixSignals.ForceKill(pid, IsOurs);
        }

        if (_process is { } child)
        {
            await child.WaitForExitAsync();
        }
    }

    private string DescribeExit()
    {
        var exit = _process is { HasExited: true } child
            ? child.ExitCode == 3
                ? "exited with code 3 (the model failed to load)"
                : string.Create(CultureInfo.InvariantCulture, $"exited with code {child.ExitCode}")
            : "exited (its code is unknown: it was adopted from a previous deployer)";
        var reason = ReplicaLogs.TerminationMessage(ReplicaLauncher.TerminationMessagePath(LogPath)) ?? ReplicaLogs.LastLine(LogPath);
        return reason is null ? exit : $"{exit}: {reason}";
    }

    private void SetReady(bool ready)
    {
        if (ready)
        {
            // The first passed probe of this process: ready at most one probe interval before this.
            Interlocked.CompareExchange(ref _readyTicks, DateTimeOffset.UtcNow.UtcTicks, 0);
        }

        if (_ready != ready)
        {
            _ready = ready;
            _changed();
        }
    }

    private static DateTimeOffset? AtOrNull(long utcTicks) => utcTicks == 0 ? null : new DateTimeOffset(utcTicks, TimeSpan.Zero);

    private TimeSpan Next(TimeSpan delay) =>
        TimeSpan.FromTicks(Math.Min(Math.Max(delay.Ticks * 2, TimeSpan.FromMilliseconds(100).Ticks), _options.MaxRestartDelay.Ticks));

    [LoggerMessage(Level = LogLevel.Error, Message = "Supervision of replica {ReplicaSet}/{Ordinal} failed")]
    private static partial void LogSupervisionFailed(ILogger logger, Exception exception, string replicaSet, int ordinal);

    [LoggerMessage(Level = LogLevel.Error, Message = "Replica {ReplicaSet}/{Ordinal} (pid {Pid}) started but could not be registered; stopped it")]
    private static partial void LogRegistrationFailed(ILogger logger, Exception exception, string replicaSet, int ordinal, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {ReplicaSet}/{Ordinal} started: pid {Pid}, port {Port}")]
    private static partial void LogStarted(ILogger logger, string replicaSet, int ordinal, int pid, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {ReplicaSet}/{Ordinal} {Exit}; restarting in {DelayMs} ms")]
    private static partial void LogExited(ILogger logger, string replicaSet, int ordinal, string exit, double delayMs);
}
