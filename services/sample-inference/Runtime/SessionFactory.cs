using Microsoft.ML.OnnxRuntime;
using ModelPlatform.SampleInference.Configuration;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace ModelPlatform.SampleInference.Runtime;

/// <summary>
/// Creates the ONNX Runtime session: CUDA when its libraries load (and the settings allow it),
/// the CPU provider otherwise.
/// </summary>
internal static class SessionFactory
{
    public static (LoadedModel Model, string? CudaUnavailable, IReadOnlyList<string> SkippedOutputs) Create(SessionSettings settings)
    {
        var (sessionOptions, provider, cudaUnavailable) = CreateSessionOptions(settings);
        InferenceSession session;
        using (sessionOptions)
        {
            try
            {
                session = new InferenceSession(settings.Path, sessionOptions);
            }
            catch (OnnxRuntimeException ex) when (provider == ExecutionProviders.Cuda && settings.ExecutionProvider == ExecutionProviderPreference.Auto)
            {
                // The CUDA libraries loaded but the session could not be placed on the GPU.
                var (model, _, skippedOnCpu) = Create(settings with { ExecutionProvider = ExecutionProviderPreference.Cpu });
                return (model, ex.Message, skippedOnCpu);
            }
        }

        try
        {
            var signature = ModelSignature.Read(session, out var skipped);
            return (new LoadedModel(session, signature, provider, settings.Path), cudaUnavailable, skipped);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static (SessionOptions Options, string Provider, string? CudaUnavailable) CreateSessionOptions(SessionSettings settings)
    {
        string? cudaUnavailable = null;
        if (settings.ExecutionProvider != ExecutionProviderPreference.Cpu)
        {
            var cudaOptions = NewSessionOptions(settings);
            try
            {
                cudaOptions.AppendExecutionProvider_CUDA(settings.CudaDeviceId);
                return (cudaOptions, ExecutionProviders.Cuda, null);
            }
            catch (OnnxRuntimeException ex) when (settings.ExecutionProvider == ExecutionProviderPreference.Auto)
            {
                cudaOptions.Dispose();
                cudaUnavailable = ex.Message;
            }
            catch
            {
                cudaOptions.Dispose();
                throw;
            }
        }

        return (NewSessionOptions(settings), ExecutionProviders.Cpu, cudaUnavailable);
    }

    private static SessionOptions NewSessionOptions(SessionSettings settings)
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
}
