using System.Globalization;
using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Rollouts.Gates;

/// <summary>Canary's server-error ratio (5xx and transport failures) minus stable's, over the window.</summary>
internal sealed class ServerErrorRatioGate : IRolloutGate
{
    public string Type => RolloutGateTypes.ServerErrorRatio;

    public Task<GateReading> ReadAsync(RolloutWindow window, CancellationToken cancellationToken) => Task.FromResult(GateReading.Of(
        window.Variant(VariantNames.Canary).ServerErrorRatio - window.Variant(VariantNames.Stable).ServerErrorRatio));
}

/// <summary>Canary's client-error ratio (4xx) minus stable's: both get the same kind of requests, so a canary refusing more of them is broken.</summary>
internal sealed class ClientErrorRatioGate : IRolloutGate
{
    public string Type => RolloutGateTypes.ClientErrorRatio;

    public Task<GateReading> ReadAsync(RolloutWindow window, CancellationToken cancellationToken) => Task.FromResult(GateReading.Of(
        window.Variant(VariantNames.Canary).ClientErrorRatio - window.Variant(VariantNames.Stable).ClientErrorRatio));
}

/// <summary>
/// Canary's latency quantile over stable's. Latencies under <see cref="Floor"/> count as the floor:
/// between two fast variants, a difference of a fraction of a millisecond (one histogram bucket) is
/// noise, not a regression twice as slow. A high quantile waits for <paramref name="minRequests"/> of
/// each variant: over fewer it is the slowest request, not a percentile.
/// </summary>
internal sealed class LatencyRatioGate(string type, Func<LatencyQuantiles, double> quantile, long minRequests = 0) : IRolloutGate
{
    public static readonly TimeSpan Floor = TimeSpan.FromMilliseconds(5);

    public static LatencyRatioGate P50() => new(RolloutGateTypes.LatencyP50Ratio, latency => latency.P50);

    public static LatencyRatioGate P99(long minRequests = 500) => new(RolloutGateTypes.LatencyP99Ratio, latency => latency.P99, minRequests);

    public string Type => type;

    public Task<GateReading> ReadAsync(RolloutWindow window, CancellationToken cancellationToken)
    {
        if (window.Variant(VariantNames.Canary).LatencySeconds is not { } canary || window.Variant(VariantNames.Stable).LatencySeconds is not { } stable)
        {
            return Task.FromResult(GateReading.NotYet("no latency measured for both variants yet"));
        }

        var (canaryRequests, stableRequests) = (window.Variant(VariantNames.Canary).Requests, window.Variant(VariantNames.Stable).Requests);
        if (canaryRequests < minRequests || stableRequests < minRequests)
        {
            return Task.FromResult(GateReading.NotYet(string.Create(CultureInfo.InvariantCulture,
                $"{type} needs {minRequests} requests of each variant (canary {canaryRequests}, stable {stableRequests})")));
        }

        var floor = Floor.TotalSeconds;
        return Task.FromResult(GateReading.Of(Math.Max(quantile(canary), floor) / Math.Max(quantile(stable), floor)));
    }
}
