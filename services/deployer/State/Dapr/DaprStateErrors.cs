using Dapr;
using Grpc.Core;

namespace ModelPlatform.Deployer.State.Dapr;

/// <summary>
/// Tells what a failed state call means. daprd answers every failed transaction with Internal
/// (only a plain save maps an ETag mismatch to Aborted), so the status code cannot tell a lost race
/// from a broken store; the message can: components report a mismatch as a
/// <c>state.ETagError</c> ("possible etag mismatch"), and PostgreSQL v2's first-write insert of a
/// key that exists as "no item was updated".
/// </summary>
internal static class DaprStateErrors
{
    private static readonly string[] ConflictMarks = ["possible etag mismatch", "no item was updated"];

    /// <summary>Another writer came first: reading again and retrying can succeed.</summary>
    public static bool IsConflict(DaprException exception) =>
        Rpc(exception) is { } rpc
        && rpc.StatusCode is StatusCode.Internal or StatusCode.Aborted
        && ConflictMarks.Any(mark => rpc.Status.Detail.Contains(mark, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The sidecar or the store cannot be used right now (not reachable, timed out, no such store
    /// configured): nothing was written, and a retry at once would fail the same way.
    /// </summary>
    public static bool IsOutage(DaprException exception) =>
        Rpc(exception) is { } rpc
        && (rpc.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded
            || (rpc.StatusCode is StatusCode.InvalidArgument or StatusCode.FailedPrecondition
                && (rpc.Status.Detail.Contains("is not found", StringComparison.OrdinalIgnoreCase)
                    || rpc.Status.Detail.Contains("not configured", StringComparison.OrdinalIgnoreCase))));

    /// <summary>An outage as the store's failure, with the sidecar's words.</summary>
    public static StoreUnavailableException Unavailable(string store, DaprException exception) =>
        new($"The Dapr state store '{store}' is unavailable: {Rpc(exception)?.Status.Detail ?? exception.Message}", exception);

    private static RpcException? Rpc(DaprException exception) => exception.InnerException as RpcException;
}
