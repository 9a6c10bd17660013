using System.Globalization;
using System.Text;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Telemetry;

/// <summary>
/// Serves <c>/metrics</c> in the gateway's format (the series <see cref="GatewayMetricNames"/> names,
/// with the labels the gateway's exporter writes) for deployment <c>m</c>. Every scrape adds the same
/// requests, so rates vary with the scrape timing but ratios and quantiles do not: stable serves 100
/// per scrape (80 fine, 10 answered 4xx, 6 answered 5xx, 4 transport failures), all in (5 ms, 10 ms];
/// canary 50 fine, all in (50 ms, 100 ms]. In flight: 3 on stable, 1 on canary.
/// </summary>
internal sealed class GatewayMetricsStandIn : IDisposable
{
    private readonly FakeHttpServer _server;
    private long _scrapes;

    public GatewayMetricsStandIn()
    {
        _server = new FakeHttpServer(
            _ => Task.FromResult((200, Exposition(Interlocked.Increment(ref _scrapes)))),
            "text/plain; version=0.0.4");
        Url = new Uri(_server.BaseAddress, "metrics");
    }

    public Uri Url { get; }

    public void Dispose() => _server.Dispose();

    private static string Exposition(long n)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# TYPE {GatewayMetricNames.Requests} counter");
        Requests(text, "stable", "200", GatewayMetricNames.Success, 80 * n);
        Requests(text, "stable", "400", GatewayMetricNames.ClientError, 10 * n);
        Requests(text, "stable", "500", GatewayMetricNames.ServerError, 6 * n);
        Requests(text, "stable", "502", GatewayMetricNames.TransportError, 4 * n);
        Requests(text, "canary", "200", GatewayMetricNames.Success, 50 * n);
        text.AppendLine("# TYPE gateway_request_duration_seconds histogram");
        Histogram(text, "stable", 0.01, 100 * n);
        Histogram(text, "canary", 0.1, 50 * n);
        text.AppendLine(CultureInfo.InvariantCulture, $"# TYPE {GatewayMetricNames.InFlight} gauge");
        text.AppendLine(CultureInfo.InvariantCulture, $"{GatewayMetricNames.InFlight}{{otel_scope_name=\"ModelPlatform.Gateway\",model=\"m\",variant=\"stable\"}} 3");
        text.AppendLine(CultureInfo.InvariantCulture, $"{GatewayMetricNames.InFlight}{{otel_scope_name=\"ModelPlatform.Gateway\",model=\"m\",variant=\"canary\"}} 1");
        return text.ToString();
    }

    private static void Requests(StringBuilder text, string variant, string status, string outcome, long count) =>
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{GatewayMetricNames.Requests}{{otel_scope_name=\"ModelPlatform.Gateway\",model=\"m\",variant=\"{variant}\",status_code=\"{status}\",outcome=\"{outcome}\"}} {count}");

    /// <summary>Every request in the bucket whose upper bound is <paramref name="bound"/>.</summary>
    private static void Histogram(StringBuilder text, string variant, double bound, long count)
    {
        foreach (var le in GatewayMetricNames.LatencyBucketsSeconds)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{GatewayMetricNames.DurationBuckets}{{otel_scope_name=\"ModelPlatform.Gateway\",model=\"m\",variant=\"{variant}\",outcome=\"success\",le=\"{le.ToString(CultureInfo.InvariantCulture)}\"}} {(le >= bound ? count : 0)}");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"{GatewayMetricNames.DurationBuckets}{{otel_scope_name=\"ModelPlatform.Gateway\",model=\"m\",variant=\"{variant}\",outcome=\"success\",le=\"+Inf\"}} {count}");
        text.AppendLine(CultureInfo.InvariantCulture, $"gateway_request_duration_seconds_sum{{otel_scope_name=\"ModelPlatform.Gateway\",model=\"m\",variant=\"{variant}\",outcome=\"success\"}} {count * bound}");
        text.AppendLine(CultureInfo.InvariantCulture, $"gateway_request_duration_seconds_count{{otel_scope_name=\"ModelPlatform.Gateway\",model=\"m\",variant=\"{variant}\",outcome=\"success\"}} {count}");
    }
}
