using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using ModelPlatform.SampleInference.Configuration;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace ModelPlatform.SampleInference.Runtime;

/// <summary>
/// Creates the ONNX Runtime session: CUDA when its libraries load (and the options allow it),
/// the CPU provider otherwise.
/// </summary>
internal sealed partial class SessionFactory(IOptions<InferenceServerOptions> options, ILogger<SessionFactory> logger)
{
    public LoadedModel Create(string path) => Create(path, options.Value);

    private LoadedModel Create(string path, InferenceServerOptions settings)
    {
        var (sessionOptions, provider) = CreateSessionOptions(settings);
        using (sessionOptions)
        {
            InferenceSession session;
            try
            {
                session = new InferenceSession(path, sessionOptions);
            }
            catch (OnnxRuntimeException ex) when (provider == ExecutionProviders.Cuda && settings.ExecutionProvider == ExecutionProviderPreference.Auto)
            {
                // The CUDA libraries loaded but the session could not be placed on the GPU.
                LogCudaUnavailable(logger, ex.Message);
                settings = new InferenceServerOptions { ExecutionProvider = ExecutionProviderPreference.Cpu, IntraOpThreads = settings.IntraOpThreads, InterOpThreads = settings.InterOpThreads, AllowSpinning = settings.AllowSpinning };
                return Create(path, settings);
            }

            try
            {
                var signature = ModelSignature.Read(session, out var skipped);
                foreach (var output in skipped)
                {
                    LogSkippedOutput(logger, output);
                }

                return new LoadedModel(session, signature, provider, path);
            }
            catch
            {
                session.Dispose();
                throw;
            }
        }
    }

    private (SessionOptions Options, string Provider) CreateSessionOptions(InferenceServerOptions settings)
    {
        if (settings.ExecutionProvider != ExecutionProviderPreference.Cpu)
        {
            var cudaOptions = NewSessionOptions(settings);
            try
            {
                cudaOptions.AppendExecutionProvider_CUDA(settings.CudaDeviceId);
                LogProvider(logger, ExecutionProviders.Cuda, settings.CudaDeviceId);
                return (cudaOptions, ExecutionProviders.Cuda);
            }
            catch (OnnxRuntimeException ex) when (settings.ExecutionProvider == ExecutionProviderPreference.Auto)
            {
                cudaOptions.Dispose();
                LogCudaUnavailable(logger, ex.Message);
            }
            catch
            {
                cudaOptions.Dispose();
                throw;
            }
        }

        LogProvider(logger, ExecutionProviders.Cpu, 0);
        return (NewSessionOptions(settings), ExecutionProviders.Cpu);
    }

    private static SessionOptions NewSessionOptions(InferenceServerOptions settings)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = settings.InterOpThreads > 1 ? ExecutionMode.ORT_PARALLEL : ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = settings.IntraOpThreads,
            InterOpNumThreads = settings.InterOpThreads,
        };

        // ONNX Runtime's pool threads spin between operators by default; in a server they would
        // burn the cores the web server needs to read the next request.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", settings.AllowSpinning ? "1" : "0");
        options.AddSessionConfigEntry("session.inter_op.allow_spinning", settings.AllowSpinning ? "1" : "0");
        return options;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Execution provider: {Provider} (device {DeviceId})")]
    private static partial void LogProvider(ILogger logger, string provider, int deviceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "CUDA execution provider unavailable, falling back to CPU: {Reason}")]
    private static partial void LogCudaUnavailable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model output '{Output}' is not a tensor of a V2 datatype and is not served")]
    private static partial void LogSkippedOutput(ILogger logger, string output);
}
