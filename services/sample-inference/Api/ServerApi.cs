using System.Reflection;
using Microsoft.AspNetCore.Http.HttpResults;
using ModelPlatform.SampleInference.Runtime;

namespace ModelPlatform.SampleInference.Api;

/// <summary>Server-wide V2 endpoints: metadata and health.</summary>
internal static class ServerApi
{
    public const string ServerName = "modelplatform-sample-inference";

    /// <summary>The protocol extensions served in full; the repository index alone is served too, but not load and unload.</summary>
    public static readonly IReadOnlyList<string> Extensions = ["binary_tensor_data", "model_configuration", "statistics"];

    public static readonly string ServerVersion =
        typeof(ServerApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static IEndpointRouteBuilder MapServerApi(this IEndpointRouteBuilder app)
    {
        var v2 = app.MapGroup("/v2").WithTags("Server");

        v2.MapGet("", GetMetadata)
            .WithName("ServerMetadata")
            .WithSummary("Server metadata: name, version, protocol extensions and the execution provider in use.");
        v2.MapGet("/health/live", Live)
            .WithName("ServerLive")
            .WithSummary("200 while the process is up.");
        v2.MapGet("/health/ready", Ready)
            .WithName("ServerReady")
            .WithSummary("200 once the model is loaded and warmed up; 400 with an empty body before that and while draining.");

        return app;
    }

    internal static Ok<ServerMetadataResponse> GetMetadata(ModelHost host) =>
        TypedResults.Ok(new ServerMetadataResponse(ServerName, ServerVersion, Extensions, host.Model?.ExecutionProvider));

    internal static Ok Live() => TypedResults.Ok();

    internal static Results<Ok, NotReadyResult> Ready(ModelHost host) =>
        host.IsReady ? TypedResults.Ok() : NotReadyResult.Instance;
}
