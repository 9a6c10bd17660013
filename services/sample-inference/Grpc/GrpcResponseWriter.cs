using Google.Protobuf;
using ModelPlatform.SampleInference.Grpc.V2;
using ModelPlatform.SampleInference.Inference;
using ModelPlatform.SampleInference.Protocol;

namespace ModelPlatform.SampleInference.Grpc;

/// <summary>
/// Writes a <c>ModelInferResponse</c>. The protocol puts either every output in
/// <c>raw_output_contents</c> or none, so outputs go raw when the request asked for it (see
/// <see cref="GrpcRequestReader"/>) or when any of them is FP16 or BF16, which have no typed field.
/// </summary>
internal static class GrpcResponseWriter
{
    public static ModelInferResponse Write(string modelName, string modelVersion, ModelInferRequest message, InferenceResult result)
    {
        var response = new ModelInferResponse { ModelName = modelName, ModelVersion = modelVersion, Id = message.Id };
        foreach (var (name, value) in message.Parameters)
        {
            // Request parameters pass through to the response, except the binary switch, as over REST.
            if (name != InferenceRequestParser.BinaryDataOutput)
            {
                response.Parameters.Add(name, value);
            }
        }

        var raw = result.Outputs.Any(output => output.Binary || !TypedTensorContents.HasField(output.ElementType));
        foreach (var output in result.Outputs)
        {
            var tensor = new ModelInferResponse.Types.InferOutputTensor
            {
                Name = output.Name,
                Datatype = V2Datatype.FromElementType(output.ElementType),
            };
            tensor.Shape.Add(output.Shape);
            if (raw)
            {
                byte[]? strings = null;
                response.RawOutputContents.Add(ByteString.CopyFrom(TensorEncoder.BinaryView(output.Value, output.ElementType, ref strings)));
            }
            else
            {
                tensor.Contents = TypedTensorContents.Encode(output.Value, output.ElementType);
            }

            response.Outputs.Add(tensor);
        }

        return response;
    }
}
