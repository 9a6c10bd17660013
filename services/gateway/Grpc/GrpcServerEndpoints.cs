using Google.Protobuf;
using ModelPlatform.Gateway.Proxy;
using ModelPlatform.Gateway.Routing;

namespace ModelPlatform.Gateway.Grpc;

/// <summary>
/// The gRPC calls no model's route takes. The server-wide ones (ServerLive, ServerReady,
/// ServerMetadata) are answered by the gateway itself, as its <c>/v2</c> and <c>/v2/health/*</c>
/// are: one server hosting every model. A method about a model reaches here only when no route
/// matched the model it names: a call that names none (INVALID_ARGUMENT), a model that is not
/// deployed (NOT_FOUND), or one whose replicas speak REST only (UNIMPLEMENTED); any other method
/// is not served through the gateway (UNIMPLEMENTED).
/// </summary>
internal static class GrpcServerEndpoints
{
    public static IEndpointRouteBuilder MapGrpcServerEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(InferenceGrpc.ServicePrefix + InferenceGrpc.ServerLive, static context =>
            GrpcAnswers.WriteMessageAsync(context, BoolMessage(true))).ExcludeFromDescription();
        app.MapPost(InferenceGrpc.ServicePrefix + InferenceGrpc.ServerReady, static (HttpContext context, RouteTableState state) =>
            GrpcAnswers.WriteMessageAsync(context, BoolMessage(state.Serving is not null))).ExcludeFromDescription();
        app.MapPost(InferenceGrpc.ServicePrefix + InferenceGrpc.ServerMetadata, static (HttpContext context, ModelExtensions extensions) =>
            GrpcAnswers.WriteMessageAsync(context, ServerMetadata(extensions.Supported))).ExcludeFromDescription();

        // After the models' own gRPC routes (order 0), which share this template and match on the model's header.
        app.Map(InferenceGrpc.ServicePrefix + "{method}", NoRouteAsync).WithOrder(1).ExcludeFromDescription();
        return app;
    }

    private static Task NoRouteAsync(HttpContext context, string method, RouteTableState state)
    {
        if (!InferenceGrpc.IsGrpc(context.Request))
        {
            // Not a gRPC call (HTTP/1.1, or not application/grpc): nothing is served here for it.
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        if (!InferenceGrpc.IsModelMethod(method))
        {
            return GrpcAnswers.WriteErrorAsync(context, GrpcStatusCodes.Unimplemented,
                $"{method} is not served through the gateway: it serves ServerLive, ServerReady, ServerMetadata, and ModelReady, ModelMetadata, ModelInfer, ModelConfig and ModelStatistics of each model.");
        }

        var model = context.Request.Headers[InferenceGrpc.ModelNameHeader].ToString();
        if (model.Length == 0)
        {
            return GrpcAnswers.WriteErrorAsync(context, GrpcStatusCodes.InvalidArgument,
                $"{method} names no model: set the request's model name (field 1), or the '{InferenceGrpc.ModelNameHeader}' metadata header.");
        }

        var deployed = state.Table?.Models.FirstOrDefault(route => route.Name == model);
        return deployed is null
            ? GrpcAnswers.WriteErrorAsync(context, GrpcStatusCodes.NotFound, $"No model named '{model}' is deployed.")
            : GrpcAnswers.WriteErrorAsync(context, GrpcStatusCodes.Unimplemented,
                $"Model '{model}' is served over REST only: its replicas have no gRPC port. Call {ReplicaPaths.V2ModelsPrefix}{model}/infer.");
    }

    /// <summary>ServerLiveResponse / ServerReadyResponse: <c>bool live|ready = 1</c> (false is the empty message).</summary>
    private static byte[] BoolMessage(bool value) => value ? [0x08, 0x01] : [];

    /// <summary>ServerMetadataResponse: <c>string name = 1; string version = 2; repeated string extensions = 3</c>.</summary>
    private static byte[] ServerMetadata(IReadOnlyList<string> extensions)
    {
        using var bytes = new MemoryStream();
        using (var output = new CodedOutputStream(bytes, leaveOpen: true))
        {
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteString(ServerEndpoints.Name);
            output.WriteTag(2, WireFormat.WireType.LengthDelimited);
            output.WriteString(ServerEndpoints.Version);
            foreach (var extension in extensions)
            {
                output.WriteTag(3, WireFormat.WireType.LengthDelimited);
                output.WriteString(extension);
            }
        }

        return bytes.ToArray();
    }
}
