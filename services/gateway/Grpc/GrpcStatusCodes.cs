using Microsoft.AspNetCore.Http.Features;

namespace ModelPlatform.Gateway.Grpc;

/// <summary>
/// gRPC status codes (grpc/doc/statuscodes.md) and their HTTP counterparts: the gateway's own errors
/// are decided as HTTP statuses and sent to a gRPC caller as the matching code, and a gRPC answer is
/// counted in the per-variant metrics under the HTTP status it stands for, so that REST and gRPC
/// traffic share one notion of a client error and a server error.
/// </summary>
internal static class GrpcStatusCodes
{
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";

    public const int Ok = 0;
    public const int Cancelled = 1;
    public const int Unknown = 2;
    public const int InvalidArgument = 3;
    public const int DeadlineExceeded = 4;
    public const int NotFound = 5;
    public const int PermissionDenied = 7;
    public const int ResourceExhausted = 8;
    public const int Unimplemented = 12;
    public const int Internal = 13;
    public const int Unavailable = 14;
    public const int Unauthenticated = 16;

    /// <summary>The gRPC code for one of the gateway's HTTP error statuses.</summary>
    public static int FromHttp(int status) => status switch
    {
        StatusCodes.Status400BadRequest => InvalidArgument,
        StatusCodes.Status401Unauthorized => Unauthenticated,
        StatusCodes.Status403Forbidden => PermissionDenied,
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status413PayloadTooLarge or StatusCodes.Status429TooManyRequests => ResourceExhausted,
        StatusCodes.Status499ClientClosedRequest => Cancelled,
        StatusCodes.Status501NotImplemented => Unimplemented,
        StatusCodes.Status502BadGateway or StatusCodes.Status503ServiceUnavailable => Unavailable,
        StatusCodes.Status504GatewayTimeout => DeadlineExceeded,
        < 500 => InvalidArgument,
        _ => Internal,
    };

    /// <summary>The HTTP status a gRPC code stands for.</summary>
    public static int ToHttp(int code) => code switch
    {
        Ok => StatusCodes.Status200OK,
        Cancelled => StatusCodes.Status499ClientClosedRequest,
        InvalidArgument => StatusCodes.Status400BadRequest,
        DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        NotFound => StatusCodes.Status404NotFound,
        PermissionDenied => StatusCodes.Status403Forbidden,
        ResourceExhausted => StatusCodes.Status429TooManyRequests,
        Unimplemented => StatusCodes.Status501NotImplemented,
        Unavailable => StatusCodes.Status503ServiceUnavailable,
        Unauthenticated => StatusCodes.Status401Unauthorized,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>
    /// The status to count a response under: its HTTP status, or for a gRPC answer (always HTTP 200)
    /// the HTTP counterpart of its <c>grpc-status</c>, from the trailers or, for a trailers-only
    /// answer, the headers. A gRPC answer without one broke off: 500.
    /// </summary>
    public static int EffectiveStatus(HttpContext context)
    {
        var response = context.Response;
        if (response.StatusCode != StatusCodes.Status200OK || !InferenceGrpc.IsGrpc(context.Request))
        {
            return response.StatusCode;
        }

        var status = response.Headers[StatusHeader].ToString();
        if (status.Length == 0 && context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers is { } trailers)
        {
            status = trailers[StatusHeader].ToString();
        }

        return int.TryParse(status, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code)
            ? ToHttp(code)
            : StatusCodes.Status500InternalServerError;
    }
}
