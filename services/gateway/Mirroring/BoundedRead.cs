using System.Buffers;

namespace ModelPlatform.Gateway.Mirroring;

/// <summary>Reads a stream to its end into a pooled buffer, up to a limit: the copy's request body and the canary's answer alike.</summary>
internal static class BoundedRead
{
    /// <summary>
    /// The bytes in a buffer rented from <see cref="ArrayPool{T}.Shared"/> (the caller returns it), with
    /// their count; the count is -1 when the stream is longer than <paramref name="limit"/>.
    /// </summary>
    public static async Task<(byte[] Buffer, int Length)> ReadAsync(Stream stream, long? sizeHint, int limit, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(sizeHint ?? 16 * 1024, 1, limit) + 1);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        return (buffer, -1);
                    }

                    var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1L, buffer.Length * 2L));
                    buffer.AsSpan(0, length).CopyTo(grown);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = grown;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return (buffer, length > limit ? -1 : length);
                }

                length += read;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }
}
