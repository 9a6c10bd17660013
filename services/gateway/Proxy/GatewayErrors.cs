using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;

namespace ModelPlatform.Gateway.Proxy;

/// <summary>
/// Writes the gateway's own error answers (not the model's). On <c>/v2</c> paths a client speaks the
/// Open Inference Protocol and expects its error body, <c>{"error": "..."}</c>; elsewhere the answer is
/// problem details; to a gRPC call, the matching gRPC status (see <see cref="Grpc.GrpcStatusCodes"/>).
/// A false readiness answer on <c>/v2</c> is a 4xx with an empty body, as the protocol's health API says.
/// </summary>
internal sealed class GatewayErrors(IProblemDetailsService problems)
{
    public const string V2Prefix = "/v2";

    /// <summary>Whether <paramref name="request"/> is an Open Inference Protocol call.</summary>
    public static bool IsV2(HttpRequest request) => request.Path.StartsWithSegments(V2Prefix);

    /// <summary>
    /// Whether <paramref name="request"/> asks a V2 readiness question (<c>/v2/health/ready</c>,
    /// <c>/v2/models/{name}[/versions/{version}]/ready</c>), whose false answer has no body.
    /// </summary>
    public static bool IsV2Readiness(HttpRequest request) =>
        IsV2(request) && request.Path.Value is { } path && path.EndsWith("/ready", StringComparison.Ordinal) &&
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method));

    public Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        if (Grpc.InferenceGrpc.IsGrpc(context.Request))
        {
            return Grpc.GrpcAnswers.WriteErrorAsync(context, Grpc.GrpcStatusCodes.FromHttp(status), detail);
        }

        context.Response.StatusCode = status;
        if (IsV2(context.Request))
        {
            return context.Response.WriteAsJsonAsync(new V2Error(detail), V2ErrorJson.Default.V2Error, contentType: null, context.RequestAborted);
        }

        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        }).AsTask();
    }

    /// <summary>The Open Inference Protocol's error body.</summary>
    internal sealed record V2Error(string Error);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(GatewayErrors.V2Error))]
internal sealed partial class V2ErrorJson : JsonSerializerContext;
