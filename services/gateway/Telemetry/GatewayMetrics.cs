using System.Diagnostics;
using System.Diagnostics.Metrics;
using ModelPlatform.Contracts;

namespace ModelPlatform.Gateway.Telemetry;

/// <summary>
/// Requests, their outcome and latency, and the requests in flight, by model and variant: exported
/// for Prometheus (<see cref="GatewayMetricNames"/>) and kept as running totals
/// (<see cref="VariantCounters"/>) that the gateway reports to the deployer. On the request path:
/// tags are strings or pre-boxed status codes, so recording allocates nothing.
/// </summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "ModelPlatform.Gateway";

    // Boxed once, so a status code tag costs no allocation per request.
    private static readonly object[] StatusCodes = [.. Enumerable.Range(0, 600).Select(static code => (object)code)];

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;

    public GatewayMetrics(IMeterFactory meters, VariantCounters counters)
    {
        Counters = counters;
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("gateway.requests", "{request}", "Requests by model, variant, status code and outcome.");
        _duration = meter.CreateHistogram(
            "gateway.request.duration", "s", "Time from request to response through the gateway.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = GatewayMetricNames.LatencyBucketsSeconds });
        // Observed from the running totals when exported, rather than recorded twice per request.
        meter.CreateObservableUpDownCounter("gateway.requests.in_flight", counters.InFlightNow, "{request}", "Requests forwarded to a variant and not yet answered.");
    }

    /// <summary>The running totals the deployer is told.</summary>
    public VariantCounters Counters { get; }

    public void Record(string model, string variant, int statusCode, RequestOutcome outcome, TimeSpan elapsed)
    {
        var tags = new TagList
        {
            { GatewayMetricNames.ModelLabel, model },
            { GatewayMetricNames.VariantLabel, variant },
            { "status_code", (uint)statusCode < (uint)StatusCodes.Length ? StatusCodes[statusCode] : statusCode },
            { GatewayMetricNames.OutcomeLabel, RequestOutcomes.Label(outcome) },
        };
        var seconds = elapsed.TotalSeconds;
        _requests.Add(1, tags);
        _duration.Record(seconds, tags);
        Counters.Record(model, variant, outcome, seconds);
    }

    /// <summary>A request was forwarded to a replica of <paramref name="variant"/> (+1) or came back from it (-1).</summary>
    public void InFlight(string model, string variant, long delta) => Counters.AddInFlight(model, variant, delta);
}
