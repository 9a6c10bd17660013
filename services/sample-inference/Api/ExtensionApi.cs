using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using ModelPlatform.SampleInference.Configuration;
using ModelPlatform.SampleInference.Runtime;
using ModelPlatform.SampleInference.Telemetry;

namespace ModelPlatform.SampleInference.Api;

/// <summary>
/// Triton's HTTP extensions that its client libraries and perf analyzer call: model configuration,
/// statistics and the repository index; and, for the extensions this server does not have, a V2
/// error that names them (Triton's clients report an empty body as a failure of their own).
/// </summary>
internal static class ExtensionApi
{
    // Extension paths of Triton's that this server answers with an error rather than "no endpoint".
    private const string OneModel = " (this server serves one model, fixed at start)";

    private static readonly (string Pattern, string Extension, string Detail)[] Unsupported =
    [
        ("/v2/repository/models/{name}/load", "model_repository's load", OneModel),
        ("/v2/repository/models/{name}/unload", "model_repository's unload", OneModel),
        ("/v2/systemsharedmemory/{**rest}", "system_shared_memory", ""),
        ("/v2/cudasharedmemory/{**rest}", "cuda_shared_memory", ""),
        ("/v2/trace/setting", "trace", ""),
        ("/v2/models/{name}/trace/setting", "trace", ""),
        ("/v2/logging", "logging", ""),
    ];

    public static IEndpointRouteBuilder MapExtensionApi(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/v2/models").WithTags("Extensions");
        models.MapGet("/{name}/config", (string name, ModelHost host, IOptions<InferenceServerOptions> options) => GetConfig(name, null, host, options.Value))
            .WithName("ModelConfig")
            .WithSummary("The model's configuration, in the shape of Triton's (model_configuration extension).");
        models.MapGet("/{name}/versions/{version}/config", (string name, string version, ModelHost host, IOptions<InferenceServerOptions> options) =>
                GetConfig(name, version, host, options.Value))
            .WithName("ModelVersionConfig")
            .WithSummary("The configuration of one version of the model.");
        models.MapGet("/stats", (ModelHost host, InferenceStatistics statistics) => TypedResults.Ok(Statistics(host, statistics)))
            .WithName("ServerStatistics")
            .WithSummary("Counts and cumulative times of every model's inferences (statistics extension).");
        models.MapGet("/{name}/stats", (string name, ModelHost host, InferenceStatistics statistics) => GetStatistics(name, null, host, statistics))
            .WithName("ModelStatistics")
            .WithSummary("Counts and cumulative times of the model's inferences.");
        models.MapGet("/{name}/versions/{version}/stats", (string name, string version, ModelHost host, InferenceStatistics statistics) =>
                GetStatistics(name, version, host, statistics))
            .WithName("ModelVersionStatistics")
            .WithSummary("Counts and cumulative times of one version's inferences.");

        app.MapPost("/v2/repository/index", RepositoryIndexAsync)
            .WithTags("Extensions")
            .WithName("RepositoryIndex")
            .WithSummary("The models this server has and their state; {\"ready\": true} lists only the ready ones.");

        foreach (var (pattern, extension, detail) in Unsupported)
        {
            var message = $"The {extension} extension is not supported{detail}; this server supports: {string.Join(", ", ServerApi.Extensions)}.";
            app.Map(pattern, () => V2Results.Error(StatusCodes.Status400BadRequest, message))
                .ExcludeFromDescription();
        }

        return app;
    }

    internal static Results<Ok<ModelConfigResponse>, JsonHttpResult<V2Error>> GetConfig(
        string name, string? version, ModelHost host, InferenceServerOptions options)
    {
        if (ModelLookup.NotServed(host, name, version) is { } notServed)
        {
            return notServed;
        }

        if (host.Model is not { } model)
        {
            return V2Results.Error(StatusCodes.Status503ServiceUnavailable, $"Model '{name}' has no configuration yet: {host.NotReadyReason}.");
        }

        // max_batch_size 0: the dimensions are the whole shape, batch included, as the model declares it.
        var kind = model.ExecutionProvider == "CUDA" ? "KIND_GPU" : "KIND_CPU";
        return TypedResults.Ok(new ModelConfigResponse(
            host.Name,
            ModelApi.Platform,
            "onnxruntime",
            0,
            [.. model.Signature.Inputs.Select(Describe)],
            [.. model.Signature.Outputs.Select(Describe)],
            [new ModelInstanceGroup(host.Name + "_0", kind, options.MaxConcurrentInferences)]));
    }

    internal static Results<Ok<ModelStatisticsResponse>, JsonHttpResult<V2Error>> GetStatistics(
        string name, string? version, ModelHost host, InferenceStatistics statistics) =>
        ModelLookup.NotServed(host, name, version) is { } notServed ? notServed : TypedResults.Ok(Statistics(host, statistics));

    internal static async Task<Results<Ok<IReadOnlyList<RepositoryIndexEntry>>, JsonHttpResult<V2Error>>> RepositoryIndexAsync(
        HttpRequest request, ModelHost host)
    {
        bool readyOnly;
        try
        {
            readyOnly = await ReadReadyOnlyAsync(request);
        }
        catch (JsonException ex)
        {
            return V2Results.Error(StatusCodes.Status400BadRequest, $"The repository index request must be empty or a JSON object like {{\"ready\": true}}: {ex.Message}");
        }

        var (state, reason) = host.State switch
        {
            ModelState.Ready when host.IsDraining => ("UNAVAILABLE", host.NotReadyReason),
            ModelState.Ready => ("READY", null),
            ModelState.Loading => ("LOADING", host.NotReadyReason),
            _ => ("UNAVAILABLE", host.NotReadyReason),
        };
        IReadOnlyList<RepositoryIndexEntry> index = readyOnly && state != "READY"
            ? []
            : [new RepositoryIndexEntry(host.Name, host.Version, state, reason)];
        return TypedResults.Ok(index);
    }

    private static async Task<bool> ReadReadyOnlyAsync(HttpRequest request)
    {
        // Triton's clients send an empty body, or {} with an optional "ready".
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("the body is not an object.");
        }

        if (!root.TryGetProperty("ready", out var ready))
        {
            return false;
        }

        return ready.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new JsonException("'ready' must be true or false."),
        };
    }

    private static ModelStatisticsResponse Statistics(ModelHost host, InferenceStatistics statistics)
    {
        var snapshot = statistics.Snapshot();
        var computeInput = Duration(snapshot.ComputeInput);
        var computeInfer = Duration(snapshot.ComputeInfer);
        var computeOutput = Duration(snapshot.ComputeOutput);
        // Every request is one execution of batch size 1: the server does not batch requests together.
        var executions = snapshot.Success.Count;
        IReadOnlyList<BatchStatisticsEntry> batches = executions == 0
            ? []
            : [new BatchStatisticsEntry(1, executions, computeInput, computeInfer, computeOutput)];
        var zero = new DurationStatistic(0, 0);
        return new ModelStatisticsResponse(
        [
            new ModelStatisticsEntry(
                host.Name,
                host.Version,
                snapshot.LastInference,
                executions,
                executions,
                new InferenceStatisticsEntry(
                    Duration(snapshot.Success),
                    Duration(snapshot.Fail),
                    Duration(snapshot.Queue),
                    computeInput,
                    computeInfer,
                    computeOutput,
                    zero,
                    zero),
                batches),
        ]);
    }

    private static DurationStatistic Duration((long Count, long Nanoseconds) value) => new(value.Count, value.Nanoseconds);

    private static ModelConfigTensor Describe(TensorSpec spec) =>
        new(spec.Name, "TYPE_" + (spec.Datatype == "BYTES" ? "STRING" : spec.Datatype), spec.Shape);
}
