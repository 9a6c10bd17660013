using Microsoft.AspNetCore.Http.HttpResults;

namespace ModelPlatform.Deployer.Api;

/// <summary>The problem details of the model store's API.</summary>
internal static class ModelResults
{
    public static ProblemHttpResult NotFound(string name) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "Model not found",
        detail: $"There is no model named '{name}' in the store.");

    public static ProblemHttpResult VersionNotFound(string name, int version) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "Model version not found",
        detail: $"Model '{name}' has no version {version}.");

    public static ProblemHttpResult TooLarge(long limit) => Field(
        StatusCodes.Status413PayloadTooLarge, "Model too large", "body",
        $"is larger than {limit} bytes, the most this deployer stores (Deployer:Models:MaxModelSize).");

    /// <summary>Problem details whose <c>errors</c> name the field, like validation problems, with another status.</summary>
    public static ProblemHttpResult Field(int status, string title, string field, string message) => TypedResults.Problem(
        new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = status,
            Title = title,
            Detail = $"{field} {message}",
        });
}
