using Microsoft.Extensions.Options;
using ModelPlatform.Gateway.Configuration;

namespace ModelPlatform.Gateway.Grpc;

/// <summary>
/// Before routing: a gRPC call of the inference service that does not say which model it is for
/// in the <c>x-model-name</c> metadata header gets the header from its message's model name, so
/// that the model's gRPC route (which matches on the header) takes it. Methods that are not about a
/// model lose the header, so no model's route takes them; requests that are not gRPC calls pass untouched.
/// </summary>
internal sealed class GrpcModelNameMiddleware(RequestDelegate next, IOptions<GatewayOptions> options)
{
    // The same threshold as the retry's buffering, which then reuses this buffer.
    private const int BufferThreshold = 1024 * 1024;

    private readonly long _maxBody = options.Value.MaxRequestBodyBytes;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!InferenceGrpc.IsInferenceCall(request))
        {
            await next(context);
            return;
        }

        if (!InferenceGrpc.IsModelMethod(InferenceGrpc.MethodOf(request.Path)))
        {
            // Not a model's method: no model route may take it, whatever the caller says.
            request.Headers.Remove(InferenceGrpc.ModelNameHeader);
        }
        else if (!request.Headers.ContainsKey(InferenceGrpc.ModelNameHeader) &&
            await GrpcModelName.ReadAsync(request, BufferThreshold, _maxBody, context.RequestAborted) is { Length: > 0 } model)
        {
            request.Headers[InferenceGrpc.ModelNameHeader] = model;
        }

        await next(context);
    }
}
