using ModelPlatform.Gateway.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.Proxy;

/// <summary>
/// Answers 404 for a path of a model that is not public (see <see cref="ReplicaPaths"/>): a replica's
/// operational endpoints stay inside the cluster. It runs after the key check, so a caller without a
/// key learns no more than 401 tells.
/// </summary>
internal sealed class ReplicaPathsMiddleware(RequestDelegate next, GatewayErrors errors)
{
    public Task InvokeAsync(HttpContext context)
    {
        var model = VariantMetadata.ModelOf(context.GetReverseProxyFeature());
        // A gRPC call on a model's route is one of the model's own methods (Grpc.InferenceGrpc.IsModelMethod).
        if (Grpc.InferenceGrpc.IsInferenceCall(context.Request) || ReplicaPaths.IsPublic(context.Request.Path.Value, model))
        {
            return next(context);
        }

        return errors.WriteAsync(context, StatusCodes.Status404NotFound, "Not a public path",
            $"Model '{model}' does not serve this path through the gateway: a replica's health, metrics and server settings are not public.");
    }
}
