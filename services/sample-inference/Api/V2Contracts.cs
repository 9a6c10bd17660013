using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModelPlatform.SampleInference.Api;

/// <summary>The V2 error body: <c>{"error": "..."}</c>.</summary>
public sealed record V2Error(string Error);

/// <summary><c>GET /v2</c>: server metadata, plus the execution provider the model runs on.</summary>
public sealed record ServerMetadataResponse(string Name, string Version, IReadOnlyList<string> Extensions, string? ExecutionProvider);

/// <summary>A tensor as model metadata describes it; -1 marks a dynamic dimension.</summary>
public sealed record TensorMetadataResponse(string Name, string Datatype, IReadOnlyList<long> Shape);

/// <summary><c>GET /v2/models/{name}</c>: model metadata read from the model itself.</summary>
public sealed record ModelMetadataResponse(
    string Name,
    IReadOnlyList<string> Versions,
    string Platform,
    IReadOnlyList<TensorMetadataResponse> Inputs,
    IReadOnlyList<TensorMetadataResponse> Outputs);

/// <summary><c>GET /v2/models/{name}/config</c>: the model's configuration in the shape of Triton's model configuration.</summary>
public sealed record ModelConfigResponse(
    string Name,
    string Platform,
    string Backend,
    int MaxBatchSize,
    IReadOnlyList<ModelConfigTensor> Input,
    IReadOnlyList<ModelConfigTensor> Output,
    IReadOnlyList<ModelInstanceGroup> InstanceGroup);

/// <summary>An input or output in the model configuration: Triton's <c>TYPE_*</c> datatype and the dimensions, -1 for any size.</summary>
public sealed record ModelConfigTensor(string Name, string DataType, IReadOnlyList<long> Dims);

/// <summary>Where the model runs and how many inferences run at once.</summary>
public sealed record ModelInstanceGroup(string Name, string Kind, int Count);

/// <summary><c>GET /v2/models[/{name}]/stats</c>: Triton's statistics extension.</summary>
public sealed record ModelStatisticsResponse(IReadOnlyList<ModelStatisticsEntry> ModelStats);

/// <summary>One model version's statistics; <c>last_inference</c> in milliseconds since the epoch.</summary>
public sealed record ModelStatisticsEntry(
    string Name,
    string Version,
    long LastInference,
    long InferenceCount,
    long ExecutionCount,
    InferenceStatisticsEntry InferenceStats,
    IReadOnlyList<BatchStatisticsEntry> BatchStats);

/// <summary>Counts and cumulative durations of the stages of an inference.</summary>
public sealed record InferenceStatisticsEntry(
    DurationStatistic Success,
    DurationStatistic Fail,
    DurationStatistic Queue,
    DurationStatistic ComputeInput,
    DurationStatistic ComputeInfer,
    DurationStatistic ComputeOutput,
    DurationStatistic CacheHit,
    DurationStatistic CacheMiss);

/// <summary>Executions of one batch size (here always 1: the server does not batch requests together).</summary>
public sealed record BatchStatisticsEntry(
    long BatchSize, long Count, DurationStatistic ComputeInput, DurationStatistic ComputeInfer, DurationStatistic ComputeOutput);

/// <summary>How many times, and how long in all, in nanoseconds.</summary>
public sealed record DurationStatistic(long Count, long Ns);

/// <summary>An entry of <c>POST /v2/repository/index</c>.</summary>
public sealed record RepositoryIndexEntry(
    string Name,
    string Version,
    string State,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(V2Error))]
[JsonSerializable(typeof(ServerMetadataResponse))]
[JsonSerializable(typeof(ModelMetadataResponse))]
[JsonSerializable(typeof(ModelConfigResponse))]
[JsonSerializable(typeof(ModelStatisticsResponse))]
[JsonSerializable(typeof(IReadOnlyList<RepositoryIndexEntry>))]
internal sealed partial class V2JsonContext : JsonSerializerContext;
