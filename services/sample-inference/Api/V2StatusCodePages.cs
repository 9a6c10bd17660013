using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace ModelPlatform.SampleInference.Api;

/// <summary>
/// The body of an error answered without one (a path no endpoint serves, a method an endpoint does
/// not take, a request the framework refused) on a <c>/v2</c> path: V2 clients read
/// <c>{"error": "..."}</c> from every failed answer (Triton's client reports an empty body as a
/// failure of its own).
/// </summary>
internal static class V2StatusCodePages
{
    private static readonly PathString V2 = new("/v2");

    public static Task WriteAsync(StatusCodeContext statusCodeContext)
    {
        var context = statusCodeContext.HttpContext;
        var request = context.Request;
        if (!request.Path.StartsWithSegments(V2) || context.RequestAborted.IsCancellationRequested)
        {
            return Task.CompletedTask;
        }

        var status = context.Response.StatusCode;
        var message = status switch
        {
            StatusCodes.Status404NotFound => $"No endpoint at {request.Path}.",
            StatusCodes.Status405MethodNotAllowed when context.Response.Headers[HeaderNames.Allow] is { Count: > 0 } allowed =>
                $"Method {request.Method} is not allowed on {request.Path}; use {allowed}.",
            StatusCodes.Status405MethodNotAllowed => $"Method {request.Method} is not allowed on {request.Path}.",
            _ => ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } reason ? reason + "." : $"HTTP {status}.",
        };
        return V2Results.Error(status, message).ExecuteAsync(context);
    }
}
