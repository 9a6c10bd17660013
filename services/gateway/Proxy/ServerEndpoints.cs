using System.Reflection;
using Microsoft.AspNetCore.Http.HttpResults;
using ModelPlatform.Gateway.Routing;

namespace ModelPlatform.Gateway.Proxy;

/// <summary>
/// The server-wide part of the Open Inference Protocol, answered by the gateway itself, so that a
/// V2 client that checks the server before calling a model finds one server hosting every model.
/// </summary>
internal static class ServerEndpoints
{
    public const string Name = "modelplatform-gateway";

    public static readonly string Version =
        typeof(ServerEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static IEndpointRouteBuilder MapServerEndpoints(this IEndpointRouteBuilder app)
    {
        var v2 = app.MapGroup("/v2").WithTags("Server");
        v2.MapGet("", (ModelExtensions extensions) => TypedResults.Ok(new ServerMetadata(Name, Version, extensions.Supported)))
            .WithSummary("Server metadata; its extensions are those the deployed models support that the gateway passes on.");
        v2.MapGet("/health/live", () => TypedResults.Ok())
            .WithSummary("200 while the gateway is up.");
        v2.MapGet("/health/ready", Ready)
            .WithSummary("200 once the gateway routes by a route table; 400 without a body before (the protocol's \"false\").");
        return app;
    }

    // The protocol's health API answers with the status alone: 200 is true, a 4xx is false, no body either way.
    private static Results<Ok, BadRequest> Ready(RouteTableState state) =>
        state.Serving is not null ? TypedResults.Ok() : TypedResults.BadRequest();

    /// <summary>V2 server metadata.</summary>
    internal sealed record ServerMetadata(string Name, string Version, IReadOnlyList<string> Extensions);
}
