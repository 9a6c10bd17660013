using Microsoft.AspNetCore.Http.HttpResults;
using ModelPlatform.Deployer.State;

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

    /// <summary>The problem type of a refused create: the deployment quota is used up.</summary>
    public const string QuotaExceededType = "urn:modelplatform:problem:quota-exceeded";

    /// <summary>
    /// 403, as Kubernetes answers a create beyond a ResourceQuota: the request is understood and
    /// well-formed (not 400), no state of this deployment conflicts with it (not 409), and waiting
    /// does not help (not 429); only deleting a deployment or raising the quota does.
    /// </summary>
    public static ProblemHttpResult QuotaExceeded(QuotaExceededException quota) => TypedResults.Problem(
        statusCode: StatusCodes.Status403Forbidden,
        type: QuotaExceededType,
        title: "Deployment quota exceeded",
        detail: $"{quota.Used} deployments exist and the quota Deployer:MaxDeployments allows {quota.Limit}. Delete one (a deployment counts until its deletion ends) or raise the quota.",
        extensions: new Dictionary<string, object?>
        {
            ["quota"] = new Dictionary<string, object?> { ["name"] = "Deployer:MaxDeployments", ["limit"] = quota.Limit, ["used"] = quota.Used },
        });

    public static string ETag(long generation) => $"\"{generation}\"";

    /// <summary>Whether the request's If-Match (if any) names the current ETag.</summary>
    public static bool IfMatchHolds(HttpRequest request, long generation)
    {
        var ifMatch = request.Headers.IfMatch;
        return ifMatch.Count == 0 || ifMatch.Any(value =>
            value is not null && (value.Trim() == "*" || value.Split(',').Any(tag => tag.Trim() == ETag(generation))));
    }
}
