using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Telemetry;

/// <summary>
/// The port every judgement of a variant reads: for a deployment, per variant, over the last
/// window: requests and their rate, server (5xx and transport) and client (4xx) errors and their
/// ratios, latency quantiles, and the requests in flight now, summed over every gateway.
/// </summary>
internal interface IVariantTelemetry
{
    /// <summary><c>embedded</c> or <c>prometheus</c>.</summary>
    string Source { get; }

    /// <exception cref="TelemetryUnavailableException">The source could not be read.</exception>
    Task<TelemetryReading> ReadAsync(string deployment, TimeSpan window, CancellationToken cancellationToken);
}

/// <summary>The variants seen over a window (only those with requests or requests in flight), and how many gateways report now (embedded only).</summary>
internal sealed record TelemetryReading(IReadOnlyList<VariantMetrics> Variants, int? Gateways);
