using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ModelPlatform.Gateway.Telemetry;

/// <summary>
/// Requests, errors and latency by model, variant and status code. Prometheus sees
/// <c>gateway_requests_total</c> and <c>gateway_request_duration_seconds</c>.
/// </summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "ModelPlatform.Gateway";

    private static readonly double[] Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;

    public GatewayMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("gateway.requests", "{request}", "Requests by model, variant and status code.");
        _duration = meter.CreateHistogram(
            "gateway.request.duration", "s", "Time from request to response through the gateway.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets });
    }

    public void Record(string model, string variant, int statusCode, TimeSpan elapsed)
    {
        var tags = new TagList { { "model", model }, { "variant", variant }, { "status_code", statusCode } };
        _requests.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
    }
}
