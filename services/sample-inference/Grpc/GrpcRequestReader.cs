using Google.Protobuf.Collections;
using ModelPlatform.SampleInference.Grpc.V2;
using ModelPlatform.SampleInference.Protocol;

namespace ModelPlatform.SampleInference.Grpc;

/// <summary>
/// Reads a <c>ModelInferRequest</c> into the same <see cref="InferenceRequest"/> the REST parser
/// makes, with the same checks and messages, so that the runner and the decoder check both alike.
/// Raw inputs point into the message: nothing is copied before the tensors are made.
/// </summary>
internal static class GrpcRequestReader
{
    public static InferenceRequest Read(ModelInferRequest message)
    {
        var binaryOutputs = BinaryOutputs(message);
        var raw = message.RawInputContents;
        if (raw.Count > 0 && raw.Count != message.Inputs.Count)
        {
            throw InferenceProtocolException.BadRequest(
                $"raw_input_contents has {raw.Count} entries, but the request has {message.Inputs.Count} inputs; send one per input, in their order.");
        }

        if (message.Inputs.Count == 0)
        {
            throw InferenceProtocolException.BadRequest("'inputs' must not be empty.");
        }

        var inputs = new List<RequestInput>(message.Inputs.Count);
        for (var i = 0; i < message.Inputs.Count; i++)
        {
            inputs.Add(ReadInput(message.Inputs[i], i, raw));
        }

        List<RequestedOutput>? outputs = null;
        if (message.Outputs.Count > 0)
        {
            outputs = [.. message.Outputs.Select((output, index) => ReadOutput(output, index, binaryOutputs))];
        }

        return new InferenceRequest(null, null, message.Id, null, inputs, outputs, binaryOutputs);
    }

    /// <summary>
    /// Whether outputs go in <c>raw_output_contents</c>: as the inputs came, unless the request's
    /// <c>binary_data_output</c> parameter says otherwise (the REST extension's switch).
    /// </summary>
    private static bool BinaryOutputs(ModelInferRequest message)
    {
        if (!message.Parameters.TryGetValue(InferenceRequestParser.BinaryDataOutput, out var parameter))
        {
            return message.RawInputContents.Count > 0;
        }

        return parameter.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.BoolParam
            ? parameter.BoolParam
            : throw InferenceProtocolException.BadRequest($"'parameters.{InferenceRequestParser.BinaryDataOutput}' must be true or false.");
    }

    private static RequestInput ReadInput(ModelInferRequest.Types.InferInputTensor input, int index, RepeatedField<Google.Protobuf.ByteString> raw)
    {
        if (string.IsNullOrEmpty(input.Name))
        {
            throw InferenceProtocolException.BadRequest($"inputs[{index}]: 'name' must be a non-empty string.");
        }

        var where = $"input '{input.Name}'";
        if (string.IsNullOrEmpty(input.Datatype))
        {
            throw InferenceProtocolException.BadRequest($"{where}: 'datatype' must be a non-empty string.");
        }

        if (!V2Datatype.TryParse(input.Datatype, out _))
        {
            throw InferenceProtocolException.BadRequest(
                $"{where}: datatype '{input.Datatype}' is not one of {string.Join(", ", V2Datatype.All)}.");
        }

        var shape = new long[input.Shape.Count];
        for (var i = 0; i < shape.Length; i++)
        {
            shape[i] = input.Shape[i] >= 0
                ? input.Shape[i]
                : throw InferenceProtocolException.BadRequest(
                    $"{where}: 'shape' must be an array of non-negative integers; element {i} is {input.Shape[i]}.");
        }

        if (raw.Count == 0)
        {
            return new RequestInput(input.Name, input.Datatype, shape, null, null, new TypedTensorContents(input.Contents));
        }

        if (TypedTensorContents.HasValues(input.Contents))
        {
            throw InferenceProtocolException.BadRequest($"{where} has 'contents', but the request has raw_input_contents; send one.");
        }

        return new RequestInput(input.Name, input.Datatype, shape, null, raw[index].Memory, BinarySource: $"raw_input_contents[{index}]");
    }

    private static RequestedOutput ReadOutput(ModelInferRequest.Types.InferRequestedOutputTensor output, int index, bool binary)
    {
        if (string.IsNullOrEmpty(output.Name))
        {
            throw InferenceProtocolException.BadRequest($"outputs[{index}]: 'name' must be a non-empty string.");
        }

        if (output.Parameters.ContainsKey("classification"))
        {
            throw InferenceProtocolException.BadRequest($"output '{output.Name}': the classification extension is not supported.");
        }

        return new RequestedOutput(output.Name, binary);
    }
}
