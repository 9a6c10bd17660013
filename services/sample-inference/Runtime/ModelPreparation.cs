using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace ModelPlatform.SampleInference.Runtime;

/// <summary>Turns a model file into a session ready to serve: created, then (unless turned off) run once on zeros.</summary>
internal static class ModelPreparation
{
    public static PreparedModel Prepare(SessionSettings settings)
    {
        var started = Stopwatch.GetTimestamp();
        var (model, cudaUnavailable, skipped) = SessionFactory.Create(settings);
        string? warmUpFailure = null;
        if (settings.WarmUp)
        {
            try
            {
                WarmUp.Run(model);
            }
            catch (OnnxRuntimeException ex)
            {
                // Some models reject all-zero inputs (an index out of range, say); they still serve real data.
                warmUpFailure = ex.Message;
            }
        }

        return new PreparedModel(model, cudaUnavailable, skipped, warmUpFailure, Stopwatch.GetElapsedTime(started));
    }
}
