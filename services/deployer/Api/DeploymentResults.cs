using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using ModelPlatform.Deployer.Changes;

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
    public static ProblemHttpResult QuotaExceeded(ChangeResult.QuotaExceeded quota) => TypedResults.Problem(
        statusCode: StatusCodes.Status403Forbidden,
        type: QuotaExceededType,
        title: "Deployment quota exceeded",
        detail: $"{quota.Used} deployments exist and the quota Deployer:MaxDeployments allows {quota.Limit}. Delete one (a deployment counts until its deletion ends) or raise the quota.",
        extensions: new Dictionary<string, object?>
        {
            ["quota"] = new Dictionary<string, object?> { ["name"] = "Deployer:MaxDeployments", ["limit"] = quota.Limit, ["used"] = quota.Used },
        });

    public static string ETag(long generation) => string.Create(CultureInfo.InvariantCulture, $"\"{generation}\"");

    /// <summary>The revisions the request's If-Match (if any) names; a tag that is not one of ours names none.</summary>
    public static RevisionCondition IfMatch(HttpRequest request)
    {
        var ifMatch = request.Headers.IfMatch;
        if (ifMatch.Count == 0)
        {
            return RevisionCondition.None;
        }

        if (ifMatch.Any(value => value?.Trim() == "*"))
        {
            return RevisionCondition.AnyRevision;
        }

        return RevisionCondition.OneOf(ifMatch
            .SelectMany(value => (value ?? string.Empty).Split(','))
            .Select(tag => Revision(tag.Trim()))
            .OfType<long>());
    }

    /// <summary>The revision of an ETag as <see cref="ETag"/> writes it (strong, quoted, the number as written).</summary>
    private static long? Revision(string tag) =>
        tag.Length > 2 && tag[0] == '"' && tag[^1] == '"' &&
        long.TryParse(tag.AsSpan(1, tag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var revision) &&
        ETag(revision) == tag
            ? revision
            : null;
}
