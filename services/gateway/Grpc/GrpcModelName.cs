using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;

namespace ModelPlatform.Gateway.Grpc;

/// <summary>
/// Reads the model's name from the first message of a gRPC call: field 1, a string, in every
/// request of the inference service that is about a model (<c>model_name</c> in ModelInferRequest,
/// <c>name</c> in ModelReadyRequest and ModelMetadataRequest, and in Triton's own extensions'
/// requests). Only the bytes up to that field are parsed; serializers write fields in number order,
/// so that is usually the message's first bytes. The body is buffered and rewound, so the
/// message travels on untouched.
/// </summary>
internal static class GrpcModelName
{
    /// <summary>How much of the message the first read looks at; enough for any name field first in the message.</summary>
    private const int FirstRead = 1024;

    private const int PrefixLength = 5;

    /// <summary>The model the call names, or null when the message does not say (compressed, malformed, or no field 1).</summary>
    public static async ValueTask<string?> ReadAsync(HttpRequest request, int bufferThreshold, long maxMessage, CancellationToken cancellationToken)
    {
        request.EnableBuffering(bufferThreshold);
        var body = request.Body;
        var buffer = ArrayPool<byte>.Shared.Rent(PrefixLength + FirstRead);
        try
        {
            var read = await body.ReadAtLeastAsync(buffer.AsMemory(0, PrefixLength + FirstRead), PrefixLength, throwOnEndOfStream: false, cancellationToken);
            // A compressed message (flag 1) would have to be decompressed first: such a caller names the model in the header.
            if (read < PrefixLength || buffer[0] != 0)
            {
                return null;
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(1, 4));
            var available = (int)Math.Min(length, (uint)(read - PrefixLength));
            if (Find(buffer, PrefixLength, available, complete: available == length) is { } found)
            {
                return found.Name;
            }

            // A message larger than the gateway forwards is refused on the way anyway: not worth reading.
            if (available == length || length > maxMessage || length > int.MaxValue - PrefixLength)
            {
                return null;
            }

            // Field 1 comes later in this message (or is long): read the whole message and look again.
            var whole = ArrayPool<byte>.Shared.Rent((int)length);
            try
            {
                buffer.AsSpan(PrefixLength, available).CopyTo(whole);
                var rest = await body.ReadAtLeastAsync(whole.AsMemory(available, (int)length - available), (int)length - available, throwOnEndOfStream: false, cancellationToken);
                var total = available + rest;
                return Find(whole, 0, total, complete: true)?.Name;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(whole);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            body.Position = 0;
        }
    }

    /// <summary>
    /// Field 1 of the message in <paramref name="buffer"/> as a string; null when the bytes seen are not enough to
    /// say (<paramref name="complete"/> false), or the message has no such field or is malformed.
    /// </summary>
    internal static Found? Find(byte[] buffer, int offset, int length, bool complete)
    {
        var input = new CodedInputStream(buffer, offset, length);
        try
        {
            while (input.ReadTag() is var tag && tag != 0)
            {
                if (WireFormat.GetTagFieldNumber(tag) == 1 && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                {
                    return new Found(input.ReadString());
                }

                input.SkipLastField();
            }

            return complete ? new Found(null) : null;
        }
        catch (InvalidProtocolBufferException)
        {
            // Truncated: the field may lie beyond what was read. Malformed: the replica will say so.
            return complete ? new Found(null) : null;
        }
    }

    /// <summary>A definite answer: the name, or null when the message has none.</summary>
    internal sealed record Found(string? Name);
}
