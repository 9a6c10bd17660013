using System.Buffers;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.Mirroring;

/// <summary>
/// A copy of one request stable answered, waiting to be sent to the canary: what to send (method,
/// path, the headers that shape the body, the body) and stable's answer to compare with. Both bodies
/// are in pooled buffers that <see cref="Dispose"/> returns.
/// </summary>
internal sealed class MirrorJob(
    MirrorTarget target,
    ClusterState cluster,
    string method,
    string pathAndQuery,
    string requestId,
    IReadOnlyList<KeyValuePair<string, string>> contentHeaders,
    PooledBytes body,
    StableAnswer stable) : IDisposable
{
    public MirrorTarget Target { get; } = target;

    public ClusterState Cluster { get; } = cluster;

    public string Method { get; } = method;

    public string PathAndQuery { get; } = pathAndQuery;

    public string RequestId { get; } = requestId;

    /// <summary>Content-Type, Content-Encoding and the binary extension's header length, as the caller sent them.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ContentHeaders { get; } = contentHeaders;

    public PooledBytes Body { get; } = body;

    public StableAnswer Stable { get; } = stable;

    public void Dispose()
    {
        Body.Dispose();
        Stable.Body.Dispose();
    }
}

/// <summary>Stable's answer: its status, the headers that say how to read it, and its body (empty when it was too large to keep).</summary>
internal sealed record StableAnswer(int Status, string? ContentType, string? ContentEncoding, string? HeaderLength, PooledBytes Body, bool TooLarge);

/// <summary>Bytes in a buffer rented from <see cref="ArrayPool{T}.Shared"/>, returned once on dispose.</summary>
internal sealed class PooledBytes(byte[] buffer, int length) : IDisposable
{
    private byte[]? _buffer = buffer;

    public static PooledBytes Empty => new([], 0);

    public int Length { get; } = length;

    public ReadOnlyMemory<byte> Memory => (_buffer ?? []).AsMemory(0, _buffer is null ? 0 : Length);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { Length: > 0 } rented)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
