namespace ModelPlatform.Contracts;

/// <summary>
/// One stored version of a model: the answer of <c>POST /v1/models</c> and
/// <c>GET /v1/models/{name}/versions/{version}</c>. <see cref="Uri"/> is what a variant's
/// <c>model.uri</c> names to run exactly these bytes.
/// </summary>
/// <param name="Name">The model's name (a DNS-1035 label, like a deployment's).</param>
/// <param name="Version">1, 2, 3... per name, in upload order; never reused.</param>
/// <param name="Digest"><c>sha256:</c> and the file's SHA-256 in lower-case hex.</param>
/// <param name="Size">The file's size in bytes.</param>
/// <param name="Uri"><c>models:/{name}@sha256:{hex}</c>.</param>
/// <param name="Inputs">The graph's inputs, initializers left out.</param>
/// <param name="Outputs">The graph's outputs.</param>
/// <param name="CreatedAt">When this version was stored.</param>
public sealed record ModelVersion(
    string Name,
    int Version,
    string Digest,
    long Size,
    string Uri,
    IReadOnlyList<ModelTensor> Inputs,
    IReadOnlyList<ModelTensor> Outputs,
    DateTimeOffset CreatedAt);

/// <summary>An input or output of a model: its V2 datatype (FP32, INT64, ...) and shape, -1 for a dimension that varies.</summary>
public sealed record ModelTensor(string Name, string Datatype, IReadOnlyList<long> Shape);

/// <summary>An item of <c>GET /v1/models</c>: a model name, how many versions it has, and the newest.</summary>
public sealed record ModelSummary(string Name, int LatestVersion, int Versions, ModelVersion Latest);

/// <summary>The answer of <c>GET /v1/models/{name}</c>: every version, oldest first.</summary>
public sealed record ModelVersions(string Name, IReadOnlyList<ModelVersion> Versions);
