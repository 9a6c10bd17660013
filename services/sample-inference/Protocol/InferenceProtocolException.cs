namespace ModelPlatform.SampleInference.Protocol;

/// <summary>
/// A request the server refuses, with the HTTP status and the message the V2 error body carries.
/// Thrown while reading and checking a request; turned into <c>{"error": "..."}</c> at the endpoint.
/// </summary>
public sealed class InferenceProtocolException : Exception
{
    public InferenceProtocolException(int statusCode, string message)
        : base(message) => StatusCode = statusCode;

    public InferenceProtocolException(int statusCode, string message, Exception innerException)
        : base(message, innerException) => StatusCode = statusCode;

    public InferenceProtocolException()
        : this(StatusCodes.Status400BadRequest, "Bad request.")
    {
    }

    public InferenceProtocolException(string message)
        : this(StatusCodes.Status400BadRequest, message)
    {
    }

    public InferenceProtocolException(string message, Exception innerException)
        : this(StatusCodes.Status400BadRequest, message, innerException)
    {
    }

    public int StatusCode { get; }

    public static InferenceProtocolException BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);
}
