using Microsoft.AspNetCore.Http.HttpResults;

namespace ModelPlatform.SampleInference.Api;

/// <summary>V2 error responses.</summary>
internal static class V2Results
{
    public static JsonHttpResult<V2Error> Error(int statusCode, string message) =>
        TypedResults.Json(new V2Error(message), statusCode: statusCode);
}
