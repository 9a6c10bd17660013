namespace ModelPlatform.Contracts;

/// <summary>
/// What gateways route by: every model with its variants, their integer weights and their ready
/// endpoints. <see cref="Version"/> grows with every change; <c>GET /v1/routes?watch=true&amp;after=N</c>
/// waits until it passes N.
/// </summary>
public sealed record RouteTable(long Version, IReadOnlyList<ModelRoute> Models)
{
    public static RouteTable Empty { get; } = new(0, []);
}

/// <summary>
/// A model and its variants, the hashes of the API keys its callers must present (none: open), the
/// per-client rate limit the gateway applies (none: unlimited), and the share (0-100) of the requests
/// stable serves that the gateway copies to the canary (<see cref="Mirror"/>).
/// </summary>
public sealed record ModelRoute(
    string Name,
    IReadOnlyList<VariantRoute> Variants,
    IReadOnlyList<ApiKeySpec>? ApiKeys = null,
    RateLimitSpec? Limits = null,
    int Mirror = 0);

/// <summary>
/// A variant: its weight (0-100), the base URLs of its ready replicas, for those that also serve the
/// Open Inference Protocol over gRPC the base URL of their gRPC port keyed by the endpoint (cleartext
/// HTTP/2; none, or null: the variant speaks REST only), and the replica set that serves it (what a
/// mirror comparison is about: a new canary is a new replica set).
/// </summary>
public sealed record VariantRoute(
    string Name,
    int Weight,
    IReadOnlyList<string> Endpoints,
    IReadOnlyDictionary<string, string>? GrpcEndpoints = null,
    string? ReplicaSet = null);
