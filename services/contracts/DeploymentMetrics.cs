namespace ModelPlatform.Contracts;

/// <summary>
/// <c>GET /v1/deployments/{name}/metrics</c>: how each variant served end users over the last
/// <see cref="WindowSeconds"/>, as every gateway saw it together. <see cref="Source"/> is
/// <c>embedded</c> (gateways report to the deployer) or <c>prometheus</c>; <see cref="Gateways"/> is
/// how many gateways report now (embedded only).
/// </summary>
public sealed record DeploymentMetrics(string Deployment, double WindowSeconds, string Source, int? Gateways, IReadOnlyList<VariantMetrics> Variants);

/// <summary>
/// One variant over the window: requests and their rate per second; server errors (5xx answers and
/// transport failures) and client errors (4xx) with their shares of the requests (0 without
/// requests); latency quantiles in seconds (null without requests); requests in flight now.
/// </summary>
public sealed record VariantMetrics(
    string Variant,
    long Requests,
    double RequestRate,
    long ServerErrors,
    long TransportErrors,
    long ClientErrors,
    double ServerErrorRatio,
    double ClientErrorRatio,
    LatencyQuantiles? LatencySeconds,
    long InFlight);

/// <summary>Latency quantiles, in seconds.</summary>
public sealed record LatencyQuantiles(double P50, double P90, double P99);
