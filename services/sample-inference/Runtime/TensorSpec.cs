using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelPlatform.SampleInference.Runtime;

/// <summary>A model input or output as the model declares it; -1 marks a dynamic dimension.</summary>
internal sealed record TensorSpec(string Name, TensorElementType ElementType, string Datatype, long[] Shape);
