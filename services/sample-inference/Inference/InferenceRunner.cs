using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using ModelPlatform.SampleInference.Protocol;
using ModelPlatform.SampleInference.Runtime;
using ModelPlatform.SampleInference.Telemetry;

namespace ModelPlatform.SampleInference.Inference;

/// <summary>
/// Checks a parsed request against the model's signature, runs it on ONNX Runtime, and hands back
/// the outputs asked for. A client that disconnects stops its run.
/// </summary>
internal sealed class InferenceRunner(InferenceMetrics metrics, InferenceStatistics statistics)
{
    public InferenceResult Run(LoadedModel model, InferenceRequest request, CancellationToken cancellationToken)
    {
        var signature = model.Signature;
        var decoding = Stopwatch.GetTimestamp();
        var inputNames = new string[request.Inputs.Count];
        var inputValues = new List<OrtValue>(request.Inputs.Count);
        try
        {
            foreach (var input in request.Inputs)
            {
                if (!signature.InputsByName.TryGetValue(input.Name, out var spec))
                {
                    throw InferenceProtocolException.BadRequest(
                        $"unknown input '{input.Name}'; the model's inputs are: {string.Join(", ", signature.Inputs.Select(i => i.Name))}.");
                }

                if (inputNames.AsSpan(0, inputValues.Count).Contains(input.Name))
                {
                    throw InferenceProtocolException.BadRequest($"input '{input.Name}' is given more than once.");
                }

                inputNames[inputValues.Count] = input.Name;
                inputValues.Add(TensorDecoder.Decode(input, spec));
            }

            var missing = signature.Inputs.Select(spec => spec.Name).Except(inputNames).ToList();
            if (missing.Count > 0)
            {
                throw InferenceProtocolException.BadRequest($"missing input(s): {string.Join(", ", missing)}.");
            }

            var requested = SelectOutputs(signature, request);
            var outputNames = requested.Select(output => output.Name).ToArray();
            statistics.RecordComputeInput(Stopwatch.GetElapsedTime(decoding));
            var values = Execute(model, inputNames, inputValues, outputNames, cancellationToken);
            var produced = values.ToArray();
            var outputs = new List<OutputTensor>(requested.Count);
            for (var i = 0; i < requested.Count; i++)
            {
                var value = produced[i];
                var info = value.GetTensorTypeAndShape();
                outputs.Add(new OutputTensor(requested[i].Name, value, info.ElementDataType, info.Shape, requested[i].Binary));
            }

            return new InferenceResult(values, outputs);
        }
        finally
        {
            foreach (var value in inputValues)
            {
                value.Dispose();
            }
        }
    }

    private static List<RequestedOutput> SelectOutputs(ModelSignature signature, InferenceRequest request)
    {
        if (request.Outputs is not { Count: > 0 } outputs)
        {
            return [.. signature.Outputs.Select(spec => new RequestedOutput(spec.Name, request.BinaryOutputs))];
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var output in outputs)
        {
            if (!signature.OutputsByName.ContainsKey(output.Name))
            {
                throw InferenceProtocolException.BadRequest(
                    $"unknown output '{output.Name}'; the model's outputs are: {string.Join(", ", signature.OutputNames)}.");
            }

            if (!seen.Add(output.Name))
            {
                throw InferenceProtocolException.BadRequest($"output '{output.Name}' is requested more than once.");
            }
        }

        return [.. outputs];
    }

    private IDisposableReadOnlyCollection<OrtValue> Execute(
        LoadedModel model, string[] inputNames, List<OrtValue> inputValues, string[] outputNames, CancellationToken cancellationToken)
    {
        using var activity = InferenceTelemetry.Source.StartActivity("onnxruntime.run");
        activity?.SetTag("onnxruntime.execution_provider", model.ExecutionProvider);
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
        var started = Stopwatch.GetTimestamp();
        try
        {
            return model.Session.Run(runOptions, inputNames, inputValues, outputNames);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (OnnxRuntimeException ex) when (!IsServerFault(ex))
        {
            // The inputs matched the declared signature, so what the kernels refuse is in the data
            // (a dimension the graph cannot combine, an index out of range): the client's to fix.
            throw InferenceProtocolException.BadRequest($"the model refused the inputs: {ex.Message}");
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            metrics.RecordCompute(model.ExecutionProvider, elapsed);
            statistics.RecordComputeInfer(elapsed);
        }
    }

    // OnnxRuntimeException keeps its error code internal; its message starts with "[ErrorCode:Name]".
    private static bool IsServerFault(OnnxRuntimeException exception) =>
        ServerFaultCodes.Any(code => exception.Message.StartsWith(code, StringComparison.Ordinal));

    private static readonly string[] ServerFaultCodes =
        ["[ErrorCode:RuntimeException]", "[ErrorCode:EngineError]", "[ErrorCode:ExecutionProviderFailure]", "[ErrorCode:NotImplemented]"];
}
