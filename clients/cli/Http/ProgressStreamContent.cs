using System.Buffers;
using System.Net;

namespace ModelPlatform.Cli.Http;

/// <summary>
/// A request body read from a local file as it is sent, never held whole in memory, reporting the
/// bytes written so far: what the upload's progress bar shows is what has left for the server.
/// </summary>
internal sealed class ProgressStreamContent(FileStream source, long length, IProgress<long> progress) : HttpContent
{
    private const int BufferSize = 256 * 1024;

    private readonly long _length = length;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long sent = 0;
            int read;
            // Read synchronously: a read from the page cache takes microseconds, and an asynchronous
            // read of a file on Linux hands each one to the thread pool (docs/benchmarks.md).
            while ((read = source.Read(buffer, 0, BufferSize)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                sent += read;
                progress.Report(sent);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            source.Dispose();
        }

        base.Dispose(disposing);
    }
}
