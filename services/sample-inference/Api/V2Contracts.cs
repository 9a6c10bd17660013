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

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(V2Error))]
[JsonSerializable(typeof(ServerMetadataResponse))]
[JsonSerializable(typeof(ModelMetadataResponse))]
internal sealed partial class V2JsonContext : JsonSerializerContext;
