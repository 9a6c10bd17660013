using System.Buffers;
using ModelPlatform.SampleInference.Protocol;

namespace ModelPlatform.SampleInference.Api;

/// <summary>A request body read whole into a pooled buffer, returned to the pool on dispose.</summary>
internal sealed class RequestBody : IDisposable
{
    private byte[]? _buffer;

    private RequestBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    /// <summary>Reads the body, refusing with 413 one larger than <paramref name="limit"/> bytes.</summary>
    public static async Task<RequestBody> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared)
        {
            if (declared > limit)
            {
                throw TooLarge(declared, limit);
            }

            var exact = ArrayPool<byte>.Shared.Rent((int)declared);
            try
            {
                await request.Body.ReadExactlyAsync(exact.AsMemory(0, (int)declared), cancellationToken);
                return new RequestBody(exact, (int)declared);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(exact);
                throw;
            }
        }

        // Chunked: grow until the end, but never past the limit.
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, Array.MaxLength));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    return new RequestBody(buffer, length);
                }

                length += read;
                if (length > limit)
                {
                    throw TooLarge(length, limit);
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static InferenceProtocolException TooLarge(long size, long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, $"The request body ({size} bytes or more) exceeds the limit of {limit} bytes.");
}
