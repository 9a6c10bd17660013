using System.Diagnostics;
using System.Diagnostics.Metrics;
using ModelPlatform.SampleInference.Runtime;

namespace ModelPlatform.SampleInference.Telemetry;

/// <summary>
/// The server's metrics. Prometheus sees them as <c>inference_requests_total</c>,
/// <c>inference_request_duration_seconds</c>, <c>inference_compute_duration_seconds</c>,
/// <c>inference_execution_provider</c> (1 for the provider in use) and <c>inference_model_ready</c>.
/// </summary>
internal sealed class InferenceMetrics
{
    private static readonly double[] LatencyBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<double> _computeDuration;

    public InferenceMetrics(IMeterFactory meterFactory, ModelHost host)
    {
        var meter = meterFactory.Create(InferenceTelemetry.Name);
        _requests = meter.CreateCounter<long>("inference.requests", "{request}", "Inference requests by model, outcome and format.");
        _requestDuration = meter.CreateHistogram(
            "inference.request.duration", "s", "Time from request to response, by model, outcome and format.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _computeDuration = meter.CreateHistogram(
            "inference.compute.duration", "s", "Time spent in ONNX Runtime per request.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        meter.CreateObservableGauge(
            "inference.execution_provider",
            () => host.Model is { } model
                ? [new Measurement<int>(1, new KeyValuePair<string, object?>("provider", model.ExecutionProvider))]
                : Array.Empty<Measurement<int>>(),
            description: "1 for the ONNX Runtime execution provider the model runs on.");
        meter.CreateObservableGauge(
            "inference.model.ready",
            () => new Measurement<int>(host.IsReady ? 1 : 0, new KeyValuePair<string, object?>("model", host.Name)),
            description: "1 while the model is loaded and the server is not draining.");
    }

    public void RecordRequest(string model, int statusCode, string format, TimeSpan elapsed)
    {
        var tags = new TagList
        {
            { "model", model },
            { "outcome", Outcome(statusCode) },
            { "format", format },
        };
        _requests.Add(1, tags);
        _requestDuration.Record(elapsed.TotalSeconds, tags);
    }

    public void RecordCompute(string provider, TimeSpan elapsed) =>
        _computeDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("provider", provider));

    private static string Outcome(int statusCode) => statusCode switch
    {
        < 300 => "success",
        StatusCodes.Status404NotFound => "not_found",
        StatusCodes.Status413PayloadTooLarge => "too_large",
        StatusCodes.Status429TooManyRequests => "busy",
        StatusCodes.Status499ClientClosedRequest => "cancelled",
        StatusCodes.Status503ServiceUnavailable => "unavailable",
        < 500 => "bad_request",
        _ => "error",
    };
}
