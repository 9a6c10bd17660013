using Microsoft.AspNetCore.Http.HttpResults;
using ModelPlatform.SampleInference.Runtime;

namespace ModelPlatform.SampleInference.Api;

/// <summary>Per-model V2 endpoints: metadata, readiness and inference, with and without a version in the path.</summary>
internal static class ModelApi
{
    public const string Platform = "onnxruntime_onnx";

    public static IEndpointRouteBuilder MapModelApi(this IEndpointRouteBuilder app)
    {
        var model = app.MapGroup("/v2/models/{name}").WithTags("Model");

        model.MapGet("", (string name, ModelHost host) => GetMetadata(name, null, host))
            .WithName("ModelMetadata")
            .WithSummary("Model metadata: platform, versions, inputs and outputs with datatype and shape (-1 is dynamic).");
        model.MapGet("/versions/{version}", (string name, string version, ModelHost host) => GetMetadata(name, version, host))
            .WithName("ModelVersionMetadata")
            .WithSummary("Metadata of one version of the model.");
        model.MapGet("/ready", (string name, ModelHost host) => Ready(name, null, host))
            .WithName("ModelReady")
            .WithSummary("200 when the model is ready for inference; 400 with an empty body when not.");
        model.MapGet("/versions/{version}/ready", (string name, string version, ModelHost host) => Ready(name, version, host))
            .WithName("ModelVersionReady")
            .WithSummary("200 when this version of the model is ready for inference.");
        model.MapPost("/infer", (string name, HttpContext context, [AsParameters] InferEndpoint.Services services) =>
                InferEndpoint.HandleAsync(name, null, context, services))
            .WithName("ModelInfer")
            .WithSummary("Inference, with the JSON tensor format or the binary tensor data extension.");
        model.MapPost("/versions/{version}/infer", (string name, string version, HttpContext context, [AsParameters] InferEndpoint.Services services) =>
                InferEndpoint.HandleAsync(name, version, context, services))
            .WithName("ModelVersionInfer")
            .WithSummary("Inference on one version of the model.");

        return app;
    }

    internal static Results<Ok<ModelMetadataResponse>, JsonHttpResult<V2Error>> GetMetadata(string name, string? version, ModelHost host)
    {
        if (ModelLookup.NotServed(host, name, version) is { } notServed)
        {
            return notServed;
        }

        if (host.Model is not { } model)
        {
            return V2Results.Error(StatusCodes.Status503ServiceUnavailable, $"Model '{name}' has no metadata yet: {host.NotReadyReason}.");
        }

        return TypedResults.Ok(new ModelMetadataResponse(
            host.Name,
            [host.Version],
            Platform,
            [.. model.Signature.Inputs.Select(Describe)],
            [.. model.Signature.Outputs.Select(Describe)]));
    }

    internal static Results<Ok, NotReadyResult, JsonHttpResult<V2Error>> Ready(string name, string? version, ModelHost host)
    {
        if (ModelLookup.NotServed(host, name, version) is { } notServed)
        {
            return notServed;
        }

        return host.IsReady ? TypedResults.Ok() : NotReadyResult.Instance;
    }

    private static TensorMetadataResponse Describe(TensorSpec spec) => new(spec.Name, spec.Datatype, spec.Shape);
}
