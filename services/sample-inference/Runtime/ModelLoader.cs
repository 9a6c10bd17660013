using System.Diagnostics;
using Microsoft.Extensions.Options;
using ModelPlatform.SampleInference.Configuration;
using ModelPlatform.SampleInference.Lifecycle;

namespace ModelPlatform.SampleInference.Runtime;

/// <summary>
/// Loads (after downloading it, for an http(s) <c>MODEL_URI</c>) and warms up the model in the
/// background, so that liveness answers while a large model loads. A model that cannot load ends the process with exit code 3 and the reason in the log
/// (and in the termination message file, when the supervisor gave one):
/// a supervisor (the deployer, or Kubernetes) sees the failure instead of a replica that never
/// becomes ready.
/// </summary>
internal sealed partial class ModelLoader(
    ModelHost host,
    SessionFactory sessions,
    ModelDownload download,
    IOptions<InferenceServerOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<ModelLoader> logger) : BackgroundService
{
    public const int LoadFailureExitCode = 3;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        ModelLocation.TryResolvePath(options.Value.ModelUri, out var path, out _);
        try
        {
            var started = Stopwatch.GetTimestamp();
            if (ModelLocation.IsRemote(options.Value.ModelUri, out var url))
            {
                // Ready only once loaded: until the download is done, readiness says the model is loading.
                path = await download.DownloadAsync(url, stoppingToken);
            }

            var model = await Task.Run(() => sessions.Create(path), stoppingToken);
            if (options.Value.WarmUp)
            {
                await Task.Run(() => WarmUpOrWarn(model), stoppingToken);
            }

            host.SetLoaded(model);
            var elapsed = Stopwatch.GetElapsedTime(started);
            LogLoaded(logger, host.Name, path, model.ExecutionProvider, elapsed.TotalMilliseconds);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // Any load failure, whatever its type, must end the process with a clear message.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            host.SetFailed(ex.Message);
            LogLoadFailed(logger, ex, host.Name, path, ex.Message);
            TerminationMessage.Write(ex.Message);
            Environment.ExitCode = LoadFailureExitCode;
            lifetime.StopApplication();
        }
    }

    private void WarmUpOrWarn(LoadedModel model)
    {
        try
        {
            WarmUp.Run(model);
        }
        catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException ex)
        {
            // Some models reject all-zero inputs (an index out of range, say); they still serve real data.
            LogWarmUpFailed(logger, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model '{Model}' loaded from {Path} on {Provider} in {Milliseconds:F0} ms; ready")]
    private static partial void LogLoaded(ILogger logger, string model, string path, string provider, double milliseconds);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Model '{Model}' failed to load from {Path}: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string model, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warm-up inference on zeros failed; serving anyway: {Reason}")]
    private static partial void LogWarmUpFailed(ILogger logger, string reason);
}
