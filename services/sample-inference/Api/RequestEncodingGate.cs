using Microsoft.AspNetCore.RequestDecompression;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace ModelPlatform.SampleInference.Api;

/// <summary>
/// Runs just before ASP.NET Core's request decompression, which undoes a <c>Content-Encoding</c> it
/// knows and passes any other body on untouched, still compressed. This refuses such a body with 415
/// instead, so compressed bytes are never parsed as JSON; and for a body it will decompress, it drops
/// the <c>Content-Length</c>, which counts compressed bytes, so the endpoint reads the decompressed
/// body to its end (within the size limit, which the decompression applies to decompressed bytes).
/// </summary>
internal sealed class RequestEncodingGate(RequestDelegate next, IOptions<RequestDecompressionOptions> options)
{
    private const string Identity = "identity";

    private readonly IDictionary<string, IDecompressionProvider> _providers = options.Value.DecompressionProviders;

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var encodings = request.Headers.ContentEncoding;
        if (StringValues.IsNullOrEmpty(encodings))
        {
            return next(context);
        }

        if (encodings.Count == 1 && encodings[0] is { } encoding)
        {
            if (string.Equals(encoding, Identity, StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Remove(HeaderNames.ContentEncoding);
                return next(context);
            }

            if (_providers.ContainsKey(encoding))
            {
                request.ContentLength = null;
                return next(context);
            }
        }

        var supported = string.Join(", ", _providers.Keys.Order(StringComparer.Ordinal));
        return V2Results.Error(
                StatusCodes.Status415UnsupportedMediaType,
                $"Content-Encoding '{encodings}' is not supported; send one of {supported}, or {Identity}.")
            .ExecuteAsync(context);
    }
}
