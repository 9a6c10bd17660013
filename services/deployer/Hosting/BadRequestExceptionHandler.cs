using Microsoft.AspNetCore.Diagnostics;

namespace ModelPlatform.Deployer.Hosting;

/// <summary>
/// Request input the framework itself refuses (a query value that does not bind, a body over the
/// size limit) answers with its own status and the framework's reason as problem details. Without
/// it, production answers a bare 400 that names nothing, and development a 500.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = bad.StatusCode, Detail = bad.Message },
        });
    }
}
