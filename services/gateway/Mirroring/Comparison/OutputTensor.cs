namespace ModelPlatform.Gateway.Mirroring.Comparison;

/// <summary>
/// One output of an inference answer, read for comparison: numbers (booleans as 0 and 1, half and
/// bfloat16 widened) in <see cref="Numbers"/>, or for <c>BYTES</c> the elements in
/// <see cref="Strings"/> (exact bytes, base64 for those sent in binary).
/// </summary>
internal sealed record OutputTensor(string Name, string Datatype, long[] Shape, double[]? Numbers, string[]? Strings)
{
    public bool IsFloatingPoint => Datatype is "FP16" or "BF16" or "FP32" or "FP64";
}
