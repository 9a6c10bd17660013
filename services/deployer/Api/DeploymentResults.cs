using Microsoft.AspNetCore.Http.HttpResults;

namespace ModelPlatform.Deployer.Api;

/// <summary>The problem details the deployer answers with.</summary>
internal static class DeploymentResults
{
    public static ProblemHttpResult NotFound(string name) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "Deployment not found",
        detail: $"There is no deployment named '{name}'.");

    public static ProblemHttpResult Conflict(string detail) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "Conflict",
        detail: detail);

    public static ProblemHttpResult PreconditionFailed(string name, string current) => TypedResults.Problem(
        statusCode: StatusCodes.Status412PreconditionFailed,
        title: "Precondition failed",
        detail: $"Deployment '{name}' has ETag {current}; the If-Match header names another. Read it again and retry.");

    public static string ETag(long generation) => $"\"{generation}\"";

    /// <summary>Whether the request's If-Match (if any) names the current ETag.</summary>
    public static bool IfMatchHolds(HttpRequest request, long generation)
    {
        var ifMatch = request.Headers.IfMatch;
        return ifMatch.Count == 0 || ifMatch.Any(value =>
            value is not null && (value.Trim() == "*" || value.Split(',').Any(tag => tag.Trim() == ETag(generation))));
    }
}
