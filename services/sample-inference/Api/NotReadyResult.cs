namespace ModelPlatform.SampleInference.Api;

/// <summary>
/// A V2 health check's "false": 400 with an empty body. The protocol answers health with the status
/// alone (200 true, 4xx false, body empty), and Triton answers 400. Why it is not ready is in the
/// log and in <c>/readyz</c>.
/// </summary>
internal sealed class NotReadyResult : IResult
{
    public static readonly NotReadyResult Instance = new();

    private NotReadyResult()
    {
    }

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);

        // An explicit empty body, which also keeps the V2 status code pages from adding an error to it.
        httpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
        httpContext.Response.ContentLength = 0;
        return Task.CompletedTask;
    }
}
