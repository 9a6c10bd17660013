using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Telemetry.Embedded;

/// <summary>Checks a gateway's report before it is counted, naming each bad field.</summary>
internal static class GatewayReportValidator
{
    public const int MaxVariants = 10_000;

    public static Dictionary<string, string[]>? Validate(GatewayTelemetryReport? report)
    {
        if (report is null)
        {
            return new() { ["$"] = ["A report body is required."] };
        }

        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(report.Gateway) || report.Gateway.Length > 200)
        {
            errors["gateway"] = ["is required: the reporting gateway's name, at most 200 characters."];
        }

        if (report.Sequence < 1)
        {
            errors["sequence"] = ["must be 1 or more (1 for a gateway's first report)."];
        }

        if (report.Variants is null || report.Variants.Count > MaxVariants)
        {
            errors["variants"] = [$"is required, with at most {MaxVariants} entries."];
            return errors;
        }

        var buckets = GatewayMetricNames.LatencyBucketsSeconds.Count + 1;
        for (var i = 0; i < report.Variants.Count; i++)
        {
            var at = $"variants[{i}]";
            var variant = report.Variants[i];
            if (variant is null)
            {
                errors[at] = ["must not be null."];
                continue;
            }

            if (string.IsNullOrEmpty(variant.Model) || variant.Variant is null)
            {
                errors[at + ".model"] = ["model and variant are required."];
            }

            if (variant.Requests < 0 || variant.ClientErrors < 0 || variant.ServerErrors < 0 || variant.TransportErrors < 0 ||
                variant.ClientErrors + variant.ServerErrors + variant.TransportErrors > variant.Requests)
            {
                errors[at + ".requests"] = ["counts must not be negative, and the errors not more than the requests."];
            }

            if (variant.LatencyBuckets is null || variant.LatencyBuckets.Count != buckets || variant.LatencyBuckets.Any(count => count < 0))
            {
                errors[at + ".latencyBuckets"] = [$"must hold {buckets} counts, none negative: one per bound of the gateways' latency histogram and the overflow."];
            }
        }

        return errors.Count == 0 ? null : errors;
    }
}
