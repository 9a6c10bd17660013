using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace ModelPlatform.Gateway.Mirroring;

/// <summary>
/// Stands in for the response body while stable's answer streams to the caller: every write goes to
/// the caller first, then its bytes are copied into a pooled buffer of at most a limit (a memory
/// copy; nothing waits on the canary). An answer longer than the limit stops the copying and is
/// marked <see cref="Overflowed"/>. The proxy writes through <see cref="Stream"/>; the rest is the
/// caller's own feature.
/// </summary>
internal sealed class ResponseTee : Stream, IHttpResponseBodyFeature
{
    private readonly IHttpResponseBodyFeature _inner;
    private readonly int _limit;
    private byte[] _buffer = [];
    private int _length;

    public ResponseTee(IHttpResponseBodyFeature inner, int limit)
    {
        _inner = inner;
        _limit = limit;
    }

    public bool Overflowed { get; private set; }

    /// <summary>The bytes captured so far (empty once overflowed).</summary>
    public ReadOnlyMemory<byte> Captured => Overflowed ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(0, _length);

    /// <summary>Hands the pooled buffer over: the caller returns it to <see cref="ArrayPool{T}.Shared"/>.</summary>
    public (byte[] Buffer, int Length) Detach()
    {
        var detached = (_buffer, Overflowed ? 0 : _length);
        _buffer = [];
        _length = 0;
        return detached;
    }

    Stream IHttpResponseBodyFeature.Stream => this;

    PipeWriter IHttpResponseBodyFeature.Writer => _inner.Writer;

    void IHttpResponseBodyFeature.DisableBuffering() => _inner.DisableBuffering();

    Task IHttpResponseBodyFeature.StartAsync(CancellationToken cancellationToken) => _inner.StartAsync(cancellationToken);

    Task IHttpResponseBodyFeature.SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken)
    {
        Overflow();
        return _inner.SendFileAsync(path, offset, count, cancellationToken);
    }

    Task IHttpResponseBodyFeature.CompleteAsync() => _inner.CompleteAsync();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => _inner.Stream.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.Stream.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        _inner.Stream.Write(buffer, offset, count);
        Capture(buffer.AsSpan(offset, count));
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _inner.Stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        Capture(buffer.Span);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            var (buffer, _) = Detach();
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        base.Dispose(disposing);
    }

    private void Capture(ReadOnlySpan<byte> bytes)
    {
        if (Overflowed || bytes.IsEmpty)
        {
            return;
        }

        var needed = _length + bytes.Length;
        if (needed > _limit)
        {
            Overflow();
            return;
        }

        if (needed > _buffer.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Min(_limit, Math.Max(needed, _buffer.Length * 2)));
            _buffer.AsSpan(0, _length).CopyTo(grown);
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = grown;
        }

        bytes.CopyTo(_buffer.AsSpan(_length));
        _length = needed;
    }

    private void Overflow() => Overflowed = true;
}
