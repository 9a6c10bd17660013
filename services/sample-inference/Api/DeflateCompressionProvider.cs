using System.IO.Compression;
using Microsoft.AspNetCore.ResponseCompression;

namespace ModelPlatform.SampleInference.Api;

/// <summary>
/// <c>Content-Encoding: deflate</c> for answers. ASP.NET Core ships gzip and Brotli only; HTTP's
/// "deflate" is the zlib format (RFC 9110, 8.4.1.2), which is what Triton's client decompresses
/// (<c>zlib.decompress</c>).
/// </summary>
internal sealed class DeflateCompressionProvider : ICompressionProvider
{
    public string EncodingName => "deflate";

    public bool SupportsFlush => true;

    public Stream CreateStream(Stream outputStream) => new ZLibStream(outputStream, CompressionLevel.Fastest, leaveOpen: true);
}
