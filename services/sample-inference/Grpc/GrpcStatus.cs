using Grpc.Core;
using ModelPlatform.SampleInference.Protocol;

namespace ModelPlatform.SampleInference.Grpc;

/// <summary>The REST answers' statuses as gRPC status codes; the messages are the same.</summary>
internal static class GrpcStatus
{
    public static StatusCode FromHttp(int statusCode) => statusCode switch
    {
        StatusCodes.Status400BadRequest => StatusCode.InvalidArgument,
        StatusCodes.Status404NotFound => StatusCode.NotFound,
        StatusCodes.Status413PayloadTooLarge or StatusCodes.Status429TooManyRequests => StatusCode.ResourceExhausted,
        StatusCodes.Status499ClientClosedRequest => StatusCode.Cancelled,
        StatusCodes.Status503ServiceUnavailable => StatusCode.Unavailable,
        < 500 => StatusCode.InvalidArgument,
        _ => StatusCode.Internal,
    };

    /// <summary>The HTTP status a gRPC status stands for, for the metrics REST and gRPC share.</summary>
    public static int ToHttp(StatusCode code) => code switch
    {
        StatusCode.OK => StatusCodes.Status200OK,
        StatusCode.InvalidArgument => StatusCodes.Status400BadRequest,
        StatusCode.NotFound => StatusCodes.Status404NotFound,
        StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        StatusCode.Cancelled => StatusCodes.Status499ClientClosedRequest,
        StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static RpcException Error(int httpStatus, string message) => new(new Status(FromHttp(httpStatus), message));

    public static RpcException From(InferenceProtocolException exception) => Error(exception.StatusCode, exception.Message);
}
