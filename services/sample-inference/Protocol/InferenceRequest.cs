using System.Buffers;
using System.Text.Json;

namespace ModelPlatform.SampleInference.Protocol;

/// <summary>
/// One input of a request: its declared name, datatype and shape, and its data in JSON, binary or
/// typed form (<see cref="Typed"/>, gRPC's <c>contents</c>). <see cref="BinarySource"/> names
/// where binary data came from, for messages about its size.
/// </summary>
internal sealed record RequestInput(
    string Name,
    string Datatype,
    long[] Shape,
    JsonElement? Data,
    ReadOnlyMemory<byte>? Binary,
    ITypedTensorContents? Typed = null,
    string BinarySource = InferenceRequestParser.BinaryDataSize);

/// <summary>An output the client asked for, and whether it wants it in binary form.</summary>
internal sealed record RequestedOutput(string Name, bool Binary);

/// <summary>
/// A parsed inference request. It keeps the parsed JSON document alive (inputs' data and the
/// parameters point into it), and the pooled text it was parsed from when the parser had to quote
/// bare NaN or Infinity words, so it is disposed once the response is written. A request read from
/// gRPC has no document: its data points into the message.
/// </summary>
internal sealed class InferenceRequest(
    JsonDocument? document,
    byte[]? rewrittenJson,
    string id,
    JsonElement? parameters,
    IReadOnlyList<RequestInput> inputs,
    IReadOnlyList<RequestedOutput>? outputs,
    bool binaryOutputs) : IDisposable
{
    private byte[]? _rewrittenJson = rewrittenJson;

    /// <summary>The request's <c>id</c>, empty when it had none: the response always carries one.</summary>
    public string Id { get; } = id;

    /// <summary>Request parameters, echoed in the response less the binary extension's own.</summary>
    public JsonElement? Parameters { get; } = parameters;

    public IReadOnlyList<RequestInput> Inputs { get; } = inputs;

    /// <summary>The outputs asked for, or null for every output of the model.</summary>
    public IReadOnlyList<RequestedOutput>? Outputs { get; } = outputs;

    /// <summary><c>parameters.binary_data_output</c>: every output in binary unless it says otherwise.</summary>
    public bool BinaryOutputs { get; } = binaryOutputs;

    public void Dispose()
    {
        document?.Dispose();
        if (Interlocked.Exchange(ref _rewrittenJson, null) is { } rewritten)
        {
            ArrayPool<byte>.Shared.Return(rewritten);
        }
    }
}
