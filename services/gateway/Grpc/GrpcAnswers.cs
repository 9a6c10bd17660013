using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace ModelPlatform.Gateway.Grpc;

/// <summary>
/// The gateway's own gRPC answers, written without a gRPC server: an error as a trailers-only
/// response (HTTP 200, <c>content-type: application/grpc</c>, <c>grpc-status</c> and a
/// percent-encoded <c>grpc-message</c> in the headers, no body), and a success as one
/// length-prefixed message followed by <c>grpc-status: 0</c> in the trailers.
/// </summary>
internal static class GrpcAnswers
{
    private const string ContentType = "application/grpc";

    public static Task WriteErrorAsync(HttpContext context, int code, string message)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers[GrpcStatusCodes.StatusHeader] = code.ToString(CultureInfo.InvariantCulture);
        response.Headers[GrpcStatusCodes.MessageHeader] = PercentEncode(message);
        return Task.CompletedTask;
    }

    public static async Task WriteMessageAsync(HttpContext context, byte[] message)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame.AsSpan(5));
        await response.Body.WriteAsync(frame, context.RequestAborted);
        response.AppendTrailer(GrpcStatusCodes.StatusHeader, "0");
    }

    /// <summary>The gRPC spec's encoding of grpc-message: UTF-8, with bytes outside printable ASCII and '%' as %XX.</summary>
    internal static string PercentEncode(string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        var encoded = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }
}
