namespace ModelPlatform.Gateway.Grpc;

/// <summary>
/// The Open Inference Protocol's gRPC service as the gateway sees it: its paths, which of its methods
/// are about the server rather than a model, and the metadata header that names the model.
/// </summary>
internal static class InferenceGrpc
{
    /// <summary>Every method's path starts with the service's full name: <c>/inference.GRPCInferenceService/{Method}</c>.</summary>
    public const string ServicePrefix = "/inference.GRPCInferenceService/";

    /// <summary>
    /// Names the model a call is for, ahead of the one in the message; the gateway sets it from the
    /// message when a caller leaves it out, and YARP's gRPC routes match on it.
    /// </summary>
    public const string ModelNameHeader = "x-model-name";

    public const string ServerLive = "ServerLive";
    public const string ServerReady = "ServerReady";
    public const string ServerMetadata = "ServerMetadata";

    /// <summary>Whether <paramref name="request"/> is a gRPC call of the inference service.</summary>
    public static bool IsInferenceCall(HttpRequest request) =>
        IsGrpc(request) && request.Path.Value is { } path && path.StartsWith(ServicePrefix, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="request"/> is a gRPC call (of any service): HTTP/2 with a gRPC content type.</summary>
    public static bool IsGrpc(HttpRequest request) =>
        HttpProtocol.IsHttp2(request.Protocol) &&
        request.ContentType is { } type && type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The methods about one model that the gateway routes to it: the protocol's, and Triton's
    /// configuration and statistics of that model (its tools ask for them). Any other method (the
    /// repository, logging, trace, shared memory, streaming) is the server's business, not a model's.
    /// </summary>
    public static bool IsModelMethod(ReadOnlySpan<char> method) =>
        method.SequenceEqual("ModelInfer") || method.SequenceEqual("ModelReady") || method.SequenceEqual("ModelMetadata") ||
        method.SequenceEqual("ModelConfig") || method.SequenceEqual("ModelStatistics");

    /// <summary>Whether <paramref name="method"/> asks about the server, which the gateway answers itself.</summary>
    public static bool IsServerMethod(ReadOnlySpan<char> method) =>
        method.SequenceEqual(ServerLive) || method.SequenceEqual(ServerReady) || method.SequenceEqual(ServerMetadata);

    /// <summary>The method a call's path names (what follows the service's prefix).</summary>
    public static ReadOnlySpan<char> MethodOf(PathString path) =>
        path.Value is { Length: > 0 } value && value.StartsWith(ServicePrefix, StringComparison.Ordinal) ? value.AsSpan(ServicePrefix.Length) : [];
}
