using Dapr;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Data.Sqlite;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Hosting;

/// <summary>
/// A store that fails under a request (locked by another writer, corrupted, a full disk) answers
/// 503 problem details with the store's reason, not a bare 500: the caller learns it may retry, and
/// nothing was changed, since every write is one transaction. The same for a Dapr sidecar or state
/// store that fails.
/// </summary>
internal sealed partial class StoreFailureExceptionHandler(IProblemDetailsService problems, ILogger<StoreFailureExceptionHandler> logger) : IExceptionHandler
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        string reason;
        bool busy;
        switch (exception)
        {
            case SqliteException sqlite:
                busy = sqlite.SqliteErrorCode is SqliteBusy or SqliteLocked;
                reason = sqlite.Message;
                break;
            case StoreUnavailableException unavailable:
                // A Dapr sidecar or state store that cannot be reached, or that kept losing races past the retry budget.
                busy = false;
                reason = unavailable.Message;
                break;
            case DaprException dapr:
                // The sidecar or its state store did not answer, or kept refusing a write under contention.
                busy = false;
                reason = dapr.InnerException?.Message ?? dapr.Message;
                break;
            default:
                return false;
        }

        LogStoreFailed(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = busy ? "1" : "30";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The deployment store is unavailable.",
                Detail = busy
                    ? "The store is locked by another writer; nothing was changed. Retry shortly."
                    : $"The store failed: {reason} Nothing was changed.",
            },
        });
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The store failed under {Method} {Path}")]
    private static partial void LogStoreFailed(ILogger logger, Exception exception, string method, string path);
}
