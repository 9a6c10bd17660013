namespace ModelPlatform.Contracts;

/// <summary>
/// What one gateway process has counted since it started, per model and variant, as it hands it to
/// the deployer (<c>POST /v1/telemetry/reports</c>). Counts are cumulative, so a lost report loses
/// nothing: the deployer takes the difference from the gateway's previous report.
/// <see cref="Sequence"/> is 1 for a process's first report (its counts are all new) and grows by one
/// with each; <see cref="Gateway"/> names the process, so a restarted gateway is a new one.
/// </summary>
public sealed record GatewayTelemetryReport(string Gateway, long Sequence, IReadOnlyList<VariantCounts> Variants);

/// <summary>
/// A variant's cumulative counts in one gateway: requests answered, those that failed on the client's
/// side (4xx), on the model's (5xx) or in transport (the replica could not be reached or broke off),
/// the requests in flight now, and the latency histogram: one count per bound of
/// <see cref="GatewayMetricNames.LatencyBucketsSeconds"/> (requests at or under it and over the bound
/// before), then one for slower requests.
/// </summary>
public sealed record VariantCounts(
    string Model,
    string Variant,
    long Requests,
    long ClientErrors,
    long ServerErrors,
    long TransportErrors,
    long InFlight,
    IReadOnlyList<long> LatencyBuckets);
