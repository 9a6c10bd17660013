using Microsoft.Extensions.Options;
using ModelPlatform.SampleInference.Configuration;
using ModelPlatform.SampleInference.Runtime;

namespace ModelPlatform.SampleInference.Lifecycle;

/// <summary>
/// On SIGTERM, before the web server stops accepting: report not-ready and keep serving for
/// <see cref="InferenceServerOptions.ShutdownDelay"/>, so load balancers take the replica out of
/// rotation first. Kestrel then finishes the requests in flight before the process exits.
/// </summary>
internal sealed partial class ShutdownDrain(ModelHost host, IOptions<InferenceServerOptions> options, ILogger<ShutdownDrain> logger)
    : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        host.BeginDrain();
        var delay = options.Value.ShutdownDelay;
        LogDraining(logger, delay.TotalSeconds);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: not ready from now, serving for {DelaySeconds} s more, then draining in-flight requests")]
    private static partial void LogDraining(ILogger logger, double delaySeconds);
}
