namespace ModelPlatform.Contracts;

/// <summary>
/// The gateway's per-variant metrics as Prometheus scrapes them from its <c>/metrics</c>: what the
/// deployer's Prometheus adapter queries, and the latency buckets both adapters share.
/// </summary>
public static class GatewayMetricNames
{
    /// <summary>Counter of answered requests; labels model, variant, status_code, outcome.</summary>
    public const string Requests = "gateway_requests_total";

    /// <summary>Latency histogram in seconds (<c>_bucket</c> series with <c>le</c>); labels as <see cref="Requests"/>.</summary>
    public const string DurationBuckets = "gateway_request_duration_seconds_bucket";

    /// <summary>Requests forwarded and not yet answered; labels model, variant.</summary>
    public const string InFlight = "gateway_requests_in_flight";

    public const string ModelLabel = "model";
    public const string VariantLabel = "variant";
    public const string OutcomeLabel = "outcome";

    /// <summary>Values of <see cref="OutcomeLabel"/>.</summary>
    public const string Success = "success";
    public const string ClientError = "client_error";
    public const string ServerError = "server_error";
    public const string TransportError = "transport_error";

    /// <summary>Upper bounds of the latency histogram, in seconds.</summary>
    public static IReadOnlyList<double> LatencyBucketsSeconds { get; } =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
}
