using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using ModelPlatform.SampleInference.Configuration;

namespace ModelPlatform.SampleInference.Api;

/// <summary>
/// Compresses an inference answer when the client's <c>Accept-Encoding</c> allows it and the answer
/// is at least <see cref="InferenceServerOptions.ResponseCompressionMinBytes"/> long. ASP.NET Core's
/// provider picks the encoding (quality values, <c>*</c>, <c>identity</c>); the answer is compressed
/// into memory and sent with its <c>Content-Length</c> in one write, as uncompressed answers are,
/// rather than through the response compression middleware, which streams in chunks.
/// </summary>
internal sealed class AnswerCompression(IResponseCompressionProvider providers, IOptions<InferenceServerOptions> options)
{
    /// <summary>Above this, an answer goes out as it is: its compressed copy would not fit one array.</summary>
    private const long MaxCompressedBytes = 1L << 30;

    private readonly long _minBytes = options.Value.ResponseCompressionMinBytes;

    /// <summary>The compression for an answer of <paramref name="length"/> bytes, or null to send it as it is.</summary>
    public ICompressionProvider? Choose(HttpContext context, long length)
    {
        // An answer of this size may vary with Accept-Encoding, whatever this client asked.
        if (length < _minBytes || length > MaxCompressedBytes)
        {
            return null;
        }

        context.Response.Headers.Vary = HeaderNames.AcceptEncoding;
        return providers.CheckRequestAcceptsCompression(context) ? providers.GetCompressionProvider(context) : null;
    }

    /// <summary>Starts a compressed copy of the answer; write its parts into <see cref="Compressed.Stream"/>.</summary>
    public static Compressed Begin(ICompressionProvider provider, long length) => new(provider, length);

    /// <summary>An answer being compressed into memory.</summary>
    internal sealed class Compressed : IDisposable
    {
        private readonly MemoryStream _buffer;
        private readonly ICompressionProvider _provider;

        public Compressed(ICompressionProvider provider, long length)
        {
            _provider = provider;
            _buffer = new MemoryStream((int)Math.Min(length / 2, 1 << 20));
            Stream = provider.CreateStream(_buffer);
        }

        public Stream Stream { get; }

        /// <summary>Ends the compressed stream and sends it, with its encoding and length, in one write.</summary>
        public async Task SendAsync(HttpResponse response, CancellationToken cancellationToken)
        {
            await Stream.DisposeAsync();
            response.Headers.ContentEncoding = _provider.EncodingName;
            response.ContentLength = _buffer.Length;
            await response.BodyWriter.WriteAsync(_buffer.GetBuffer().AsMemory(0, (int)_buffer.Length), cancellationToken);
        }

        public void Dispose()
        {
            Stream.Dispose();
            _buffer.Dispose();
        }
    }
}
