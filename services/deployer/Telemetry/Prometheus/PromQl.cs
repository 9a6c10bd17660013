using System.Globalization;
using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Telemetry.Prometheus;

/// <summary>The queries over the gateways' own metrics (<see cref="GatewayMetricNames"/>) that answer the telemetry port.</summary>
internal static class PromQl
{
    /// <summary>Requests over the window by variant and outcome, summed over every gateway.</summary>
    public static string RequestsByOutcome(string deployment, string? selector, TimeSpan window) =>
        $"sum by ({GatewayMetricNames.VariantLabel}, {GatewayMetricNames.OutcomeLabel}) " +
        $"(increase({GatewayMetricNames.Requests}{Matchers(deployment, selector)}[{TelemetryWindow.ToPromQl(window)}]))";

    /// <summary>A latency quantile over the window by variant, from every gateway's buckets together.</summary>
    public static string LatencyQuantile(double quantile, string deployment, string? selector, TimeSpan window) =>
        $"histogram_quantile({quantile.ToString(CultureInfo.InvariantCulture)}, sum by ({GatewayMetricNames.VariantLabel}, le) " +
        $"(rate({GatewayMetricNames.DurationBuckets}{Matchers(deployment, selector)}[{TelemetryWindow.ToPromQl(window)}])))";

    /// <summary>Requests in flight now by variant, summed over every gateway.</summary>
    public static string InFlight(string deployment, string? selector) =>
        $"sum by ({GatewayMetricNames.VariantLabel}) ({GatewayMetricNames.InFlight}{Matchers(deployment, selector)})";

    private static string Matchers(string deployment, string? selector) =>
        "{" + GatewayMetricNames.ModelLabel + "=\"" + Escape(deployment) + "\"" + (string.IsNullOrWhiteSpace(selector) ? string.Empty : "," + selector) + "}";

    /// <summary>A PromQL string literal's content: backslashes and double quotes escaped.</summary>
    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
