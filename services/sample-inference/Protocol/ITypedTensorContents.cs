using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelPlatform.SampleInference.Protocol;

/// <summary>
/// An input's data as typed values (gRPC's <c>contents</c>), turned into a tensor once
/// <see cref="TensorDecoder"/> has checked the input's datatype and shape against the model, so
/// that every form of data is checked by the same rules and answered with the same messages.
/// </summary>
internal interface ITypedTensorContents
{
    /// <summary>The tensor of <paramref name="count"/> elements; refuses data of another count or out of range.</summary>
    OrtValue Decode(RequestInput input, TensorElementType elementType, int count);
}
