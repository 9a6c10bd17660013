using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelPlatform.SampleInference.Runtime;

/// <summary>
/// Runs the model once on zeros (dynamic dimensions as 1), so that the first real request does not
/// pay for lazy allocations and kernel selection.
/// </summary>
internal static class WarmUp
{
    public static void Run(LoadedModel model)
    {
        var inputs = new List<OrtValue>(model.Signature.Inputs.Count);
        try
        {
            foreach (var spec in model.Signature.Inputs)
            {
                inputs.Add(Zeros(spec));
            }

            using var runOptions = new RunOptions();
            using var outputs = model.Session.Run(
                runOptions,
                [.. model.Signature.Inputs.Select(spec => spec.Name)],
                inputs,
                model.Signature.OutputNames);
        }
        finally
        {
            foreach (var value in inputs)
            {
                value.Dispose();
            }
        }
    }

    private static OrtValue Zeros(TensorSpec spec)
    {
        var shape = spec.Shape.Select(dimension => dimension < 0 ? 1L : dimension).ToArray();
        if (spec.ElementType == TensorElementType.String)
        {
            return OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, shape);
        }

        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, spec.ElementType, shape);
        value.GetTensorMutableRawData().Clear();
        return value;
    }
}
