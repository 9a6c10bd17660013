using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Telemetry.Prometheus;

/// <summary>
/// The cluster adapter: reads the gateways' metrics from Prometheus's HTTP API
/// (<c>/api/v1/query</c>), which sums every gateway it scrapes; a gateway that is gone drops out of
/// <c>rate()</c> once its series go stale. Counts come from <c>increase()</c>, which Prometheus
/// extrapolates to the window's edges, so they are rounded.
/// </summary>
internal sealed class PrometheusVariantTelemetry(HttpClient http, IOptions<TelemetryOptions> options) : IVariantTelemetry
{
    private static readonly double[] Quantiles = [0.5, 0.9, 0.99];

    public string Source => "prometheus";

    public async Task<TelemetryReading> ReadAsync(string deployment, TimeSpan window, CancellationToken cancellationToken)
    {
        var selector = options.Value.Prometheus.Selector;
        var outcomes = QueryAsync(PromQl.RequestsByOutcome(deployment, selector, window), cancellationToken);
        var quantiles = Quantiles.Select(q => QueryAsync(PromQl.LatencyQuantile(q, deployment, selector, window), cancellationToken)).ToArray();
        var inFlight = QueryAsync(PromQl.InFlight(deployment, selector), cancellationToken);
        await Task.WhenAll([outcomes, inFlight, .. quantiles]).ConfigureAwait(false);

        var counts = new Dictionary<string, Dictionary<string, long>>(StringComparer.Ordinal);
        foreach (var (labels, value) in outcomes.Result)
        {
            var variant = labels.GetValueOrDefault(GatewayMetricNames.VariantLabel, string.Empty);
            var outcome = labels.GetValueOrDefault(GatewayMetricNames.OutcomeLabel, GatewayMetricNames.Success);
            var byOutcome = counts.TryGetValue(variant, out var found) ? found : counts[variant] = new(StringComparer.Ordinal);
            byOutcome[outcome] = byOutcome.GetValueOrDefault(outcome) + (double.IsFinite(value) ? (long)Math.Round(value) : 0);
        }

        var latency = quantiles.Select(query => query.Result.ToDictionary(
            r => r.Labels.GetValueOrDefault(GatewayMetricNames.VariantLabel, string.Empty), r => r.Value, StringComparer.Ordinal)).ToArray();
        var flying = inFlight.Result.ToDictionary(
            r => r.Labels.GetValueOrDefault(GatewayMetricNames.VariantLabel, string.Empty), r => (long)Math.Round(r.Value), StringComparer.Ordinal);

        var variants = counts.Keys.Concat(flying.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(variant =>
        {
            var byOutcome = counts.GetValueOrDefault(variant) ?? [];
            var requests = byOutcome.Values.Sum();
            var server = byOutcome.GetValueOrDefault(GatewayMetricNames.ServerError);
            var transport = byOutcome.GetValueOrDefault(GatewayMetricNames.TransportError);
            var client = byOutcome.GetValueOrDefault(GatewayMetricNames.ClientError);
            var p = latency.Select(l => l.TryGetValue(variant, out var v) && double.IsFinite(v) ? v : (double?)null).ToArray();
            return new VariantMetrics(
                variant,
                requests,
                requests / window.TotalSeconds,
                server,
                transport,
                client,
                requests == 0 ? 0 : (double)(server + transport) / requests,
                requests == 0 ? 0 : (double)client / requests,
                requests > 0 && p.All(v => v is not null) ? new LatencyQuantiles(p[0]!.Value, p[1]!.Value, p[2]!.Value) : null,
                flying.GetValueOrDefault(variant));
        }).ToList();
        return new TelemetryReading(variants, Gateways: null);
    }

    private async Task<IReadOnlyList<(Dictionary<string, string> Labels, double Value)>> QueryAsync(string query, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Value.Prometheus.QueryTimeout);
        QueryResponse? answer;
        try
        {
            using var response = await http.GetAsync("api/v1/query?query=" + Uri.EscapeDataString(query), deadline.Token).ConfigureAwait(false);
            answer = await response.Content.ReadFromJsonAsync<QueryResponse>(deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode || answer?.Status != "success")
            {
                throw new TelemetryUnavailableException(
                    $"Prometheus answered {(int)response.StatusCode} to '{query}': {answer?.ErrorType} {answer?.Error}".TrimEnd());
            }
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TelemetryUnavailableException($"Prometheus did not answer within {options.Value.Prometheus.QueryTimeout}.", ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException)
        {
            throw new TelemetryUnavailableException($"Prometheus at {http.BaseAddress} could not be queried: {ex.Message}", ex);
        }

        if (answer.Data?.ResultType != "vector" || answer.Data.Result is null)
        {
            throw new TelemetryUnavailableException($"Prometheus answered a {answer.Data?.ResultType} to '{query}', not a vector.");
        }

        return [.. answer.Data.Result.Select(sample => (sample.Metric ?? [], ValueOf(sample.Value)))];
    }

    private static double ValueOf(JsonElement[]? value) =>
        value is [_, { ValueKind: JsonValueKind.String } text] &&
        double.TryParse(text.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : double.NaN;

    /// <summary>The HTTP API's envelope for an instant query.</summary>
    internal sealed record QueryResponse(string? Status, QueryData? Data, string? ErrorType, string? Error);

    internal sealed record QueryData(string? ResultType, IReadOnlyList<Sample>? Result);

    internal sealed record Sample(Dictionary<string, string>? Metric, JsonElement[]? Value);
}
