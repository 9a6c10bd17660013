using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Models;
using ModelPlatform.Deployer.Models.Files;
using ModelPlatform.Deployer.Security;

namespace ModelPlatform.Deployer.Api;

/// <summary>
/// <c>/v1/models</c>: the model store. Deployers upload ONNX files as versions of a name; anyone
/// with a token lists them, and replicas on a cluster download them by digest.
/// </summary>
internal static class ModelsApi
{
    public const string MediaType = "application/octet-stream";

    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        // Made now rather than at the first request: starting, the store deletes what a crash left half-uploaded.
        _ = app.ServiceProvider.GetRequiredService<ModelFiles>();
        var group = app.MapGroup("/v1/models").WithTags("Models");
        group.MapPost("", Upload).WithName("UploadModel")
            .WithSummary("Store an ONNX model file as the next version of ?name= (the raw bytes as the body, streamed).")
            .WithDescription("201 with the new version; 200 with the existing one when these bytes are a version of this name already. " +
                "The file is checked as ONNX and its inputs and outputs read without running it; 400 naming body when it is not ONNX, " +
                "415 for another content type than " + MediaType + ", 413 beyond Deployer:Models:MaxModelSize. " +
                "A variant runs it with model.uri models:/{name} (the newest version, pinned when deployed) or the version's uri.")
            // Described rather than declared with Accepts, which would have routing refuse other media
            // types with a bare 415 before the handler can name the field.
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Description = "The model file's raw bytes.",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        [MediaType] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
                    },
                };
                return Task.CompletedTask;
            })
            .Produces<ModelVersion>(StatusCodes.Status201Created)
            .Produces<ModelVersion>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .RequireAuthorization(Policies.Deploy);
        group.MapGet("", List).WithName("ListModels").WithSummary("Every stored model: its newest version and how many it has.")
            .RequireAuthorization(Policies.Read);
        group.MapGet("/{name}", Get).WithName("GetModel").WithSummary("A model's versions, oldest first.")
            .RequireAuthorization(Policies.Read);
        group.MapGet("/{name}/versions/{version:int}", GetVersion).WithName("GetModelVersion")
            .WithSummary("One version: digest, size, inputs, outputs and the uri a variant names it by.")
            .RequireAuthorization(Policies.Read);
        group.MapDelete("/{name}/versions/{version:int}", Delete).WithName("DeleteModelVersion")
            .WithSummary("Forget a version (and its file, unless another version has the same bytes); 409 while a deployment runs it.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Deploy);
        group.MapGet("/blobs/{digest}", Download).WithName("DownloadModelFile")
            .WithSummary("The file of a stored version by digest (sha256:{hex}): what replicas on a cluster fetch before they report ready.")
            .Produces(StatusCodes.Status200OK, contentType: MediaType)
            .RequireAuthorization(Policies.Read);
        return app;
    }

    internal static async Task<Results<Created<ModelVersion>, Ok<ModelVersion>, ValidationProblem, ProblemHttpResult>> Upload(
        string? name, HttpContext context, ModelStore store)
    {
        if (ModelNames.WhyInvalid(name) is { } invalid)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = [invalid] });
        }

        var request = context.Request;
        if (request.ContentType is { } contentType &&
            !(MediaTypeHeaderValue.TryParse(contentType, out var media) && media.MediaType.Equals(MediaType, StringComparison.OrdinalIgnoreCase)))
        {
            return ModelResults.Field(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "body",
                $"is sent as '{contentType}'; send the model file's raw bytes as {MediaType}.");
        }

        if (request.ContentLength > store.MaxModelSize)
        {
            return ModelResults.TooLarge(store.MaxModelSize);
        }

        // The API's small JSON limit is not for files: a model may be as large as the store takes.
        // Whichever notices first (the server reading, the store counting) ends in the same 413.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = store.MaxModelSize;
        }

        try
        {
            return await store.AddAsync(name!, request.Body, context.RequestAborted) switch
            {
                AddResult.Stored { Created: true } stored => TypedResults.Created($"/v1/models/{name}/versions/{stored.Version.Version}", stored.Version),
                AddResult.Stored stored => TypedResults.Ok(stored.Version),
                AddResult.NotOnnx notOnnx => TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [notOnnx.Reason] }),
                var other => throw new InvalidOperationException($"{other} is not an upload result this API knows."),
            };
        }
        catch (Exception ex) when (ex is ModelTooLargeException or BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
        {
            return ModelResults.TooLarge(store.MaxModelSize);
        }
    }

    internal static async Task<Ok<IReadOnlyList<ModelSummary>>> List(ModelStore store, CancellationToken cancellationToken)
    {
        var versions = await store.ListAsync(cancellationToken);
        IReadOnlyList<ModelSummary> models = [.. versions.GroupBy(v => v.Name, StringComparer.Ordinal).Select(Summary)];
        return TypedResults.Ok(models);
    }

    private static ModelSummary Summary(IGrouping<string, ModelVersion> versions)
    {
        var latest = versions.MaxBy(v => v.Version)!;
        return new ModelSummary(versions.Key, latest.Version, versions.Count(), latest);
    }

    internal static async Task<Results<Ok<ModelVersions>, ProblemHttpResult>> Get(string name, ModelStore store, CancellationToken cancellationToken)
    {
        var versions = await store.VersionsAsync(name, cancellationToken);
        return versions.Count == 0 ? ModelResults.NotFound(name) : TypedResults.Ok(new ModelVersions(name, versions));
    }

    internal static async Task<Results<Ok<ModelVersion>, ProblemHttpResult>> GetVersion(
        string name, int version, ModelStore store, CancellationToken cancellationToken) =>
        await store.FindAsync(name, version, cancellationToken) is { } found ? TypedResults.Ok(found) : ModelResults.VersionNotFound(name, version);

    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(string name, int version, ModelStore store, CancellationToken cancellationToken) =>
        await store.DeleteAsync(name, version, cancellationToken) switch
        {
            DeleteResult.Deleted => TypedResults.NoContent(),
            DeleteResult.InUse inUse => DeploymentResults.Conflict(
                $"Model '{name}' version {version} ({inUse.Version.Uri}) is used by deployment(s) {string.Join(", ", inUse.Deployments)}; " +
                "change or delete them first."),
            _ => ModelResults.VersionNotFound(name, version),
        };

    internal static async Task<Results<PhysicalFileHttpResult, ProblemHttpResult>> Download(string digest, ModelStore store, CancellationToken cancellationToken) =>
        await store.FileOfAsync(digest, cancellationToken) is { } path
            ? TypedResults.PhysicalFile(path, MediaType, enableRangeProcessing: true)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Model file not found", detail: $"No stored model version has the digest '{digest}'.");
}
