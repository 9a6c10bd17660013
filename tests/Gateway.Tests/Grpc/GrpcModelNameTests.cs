using System.Buffers.Binary;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using ModelPlatform.Gateway.Grpc;

namespace ModelPlatform.Gateway.Tests.Grpc;

public sealed class GrpcModelNameTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_name_first_in_the_message_is_read_and_the_body_is_left_as_it_came()
    {
        var frame = Frame(Message((1, "resnet"), (2, "1"), (3, new string('x', 100_000))));
        var request = Request(frame);

        var name = await GrpcModelName.ReadAsync(request, 1024 * 1024, 64 * 1024 * 1024, Ct);

        Assert.Equal("resnet", name);
        Assert.Equal(0, request.Body.Position);
        Assert.Equal(frame, await ReadAllAsync(request.Body));
    }

    [Fact]
    public async Task A_name_after_a_large_field_is_found_by_reading_the_whole_message()
    {
        var frame = Frame(Message((3, new string('x', 50_000)), (1, "late")));
        var request = Request(frame);

        var name = await GrpcModelName.ReadAsync(request, 1024 * 1024, 64 * 1024 * 1024, Ct);

        Assert.Equal("late", name);
        Assert.Equal(frame, await ReadAllAsync(request.Body));
    }

    [Fact]
    public async Task A_message_without_a_name_a_compressed_one_and_a_truncated_one_name_no_model()
    {
        var nameless = Frame(Message((2, "1")));
        var compressed = Frame(Message((1, "resnet")));
        compressed[0] = 1;
        var truncated = Frame(Message((1, "resnet")))[..7];

        Assert.Null(await GrpcModelName.ReadAsync(Request(nameless), 1024, 1024 * 1024, Ct));
        Assert.Null(await GrpcModelName.ReadAsync(Request(compressed), 1024, 1024 * 1024, Ct));
        Assert.Null(await GrpcModelName.ReadAsync(Request(truncated), 1024, 1024 * 1024, Ct));
    }

    [Fact]
    public async Task A_message_larger_than_the_gateway_forwards_is_not_read_past_its_first_bytes()
    {
        var frame = Frame(Message((3, new string('x', 50_000)), (1, "late")));

        Assert.Null(await GrpcModelName.ReadAsync(Request(frame), 1024, maxMessage: 10_000, Ct));
    }

    private static HttpRequest Request(byte[] frame)
    {
        var context = new DefaultHttpContext();
        context.Request.Body = new NonSeekable(new MemoryStream(frame, writable: false));
        return context.Request;
    }

    private static byte[] Message(params (int Field, string Value)[] fields)
    {
        using var bytes = new MemoryStream();
        using (var output = new CodedOutputStream(bytes, leaveOpen: true))
        {
            foreach (var (field, value) in fields)
            {
                output.WriteTag(field, WireFormat.WireType.LengthDelimited);
                output.WriteString(value);
            }
        }

        return bytes.ToArray();
    }

    private static byte[] Frame(byte[] message)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    private static async Task<byte[]> ReadAllAsync(Stream body)
    {
        using var copy = new MemoryStream();
        await body.CopyToAsync(copy, Ct);
        return copy.ToArray();
    }

    /// <summary>A request body as Kestrel gives it: read once, no seeking.</summary>
    private sealed class NonSeekable(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() { }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
