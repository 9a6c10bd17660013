using Microsoft.Extensions.Options;
using ModelPlatform.SampleInference.Configuration;
using ModelPlatform.SampleInference.Lifecycle;

namespace ModelPlatform.SampleInference.Runtime;

/// <summary>
/// Loads (after downloading it, for an http(s) <c>MODEL_URI</c>) and warms up the model in the
/// background, so that liveness answers while a large model loads; a local file's preparation has
/// usually begun before the host was built (<see cref="ModelPreload"/>). A model that cannot load
/// ends the process with exit code 3 and the reason in the log (and in the termination message
/// file, when the supervisor gave one): a supervisor (the deployer, or Kubernetes) sees the failure
/// instead of a replica that never becomes ready.
/// </summary>
internal sealed partial class ModelLoader(
    ModelHost host,
    ModelPreload preload,
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
            if (ModelLocation.IsRemote(options.Value.ModelUri, out var url))
            {
                // Ready only once loaded: until the download is done, readiness says the model is loading.
                path = await download.DownloadAsync(url, stoppingToken);
            }

            var settings = SessionSettings.From(path, options.Value);
            var early = preload.Take(settings);
            var prepared = await (early ?? Task.Run(() => ModelPreparation.Prepare(settings), stoppingToken)).WaitAsync(stoppingToken);
            Report(prepared);
            host.SetLoaded(prepared.Model);
            LogLoaded(logger, host.Name, path, prepared.Model.ExecutionProvider, prepared.Elapsed.TotalMilliseconds,
                early is null ? string.Empty : " (prepared while the host started)");
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

    private void Report(PreparedModel prepared)
    {
        if (prepared.CudaUnavailable is { } reason)
        {
            LogCudaUnavailable(logger, reason);
        }

        foreach (var output in prepared.SkippedOutputs)
        {
            LogSkippedOutput(logger, output);
        }

        if (prepared.WarmUpFailure is { } failure)
        {
            LogWarmUpFailed(logger, failure);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model '{Model}' loaded from {Path} on {Provider} in {Milliseconds:F0} ms{Early}; ready")]
    private static partial void LogLoaded(ILogger logger, string model, string path, string provider, double milliseconds, string early);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Model '{Model}' failed to load from {Path}: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string model, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "CUDA execution provider unavailable, fell back to CPU: {Reason}")]
    private static partial void LogCudaUnavailable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model output '{Output}' is not a tensor of a V2 datatype and is not served")]
    private static partial void LogSkippedOutput(ILogger logger, string output);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warm-up inference on zeros failed; serving anyway: {Reason}")]
    private static partial void LogWarmUpFailed(ILogger logger, string reason);
}
