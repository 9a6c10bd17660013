namespace ModelPlatform.Deployer.Telemetry;

/// <summary>
/// A quantile of a bucketed histogram, estimated as Prometheus's <c>histogram_quantile</c> does:
/// find the bucket the rank falls in and interpolate linearly inside it (the first bucket starts at
/// 0); a rank in the overflow bucket is the highest finite bound. So both adapters agree.
/// </summary>
internal static class HistogramQuantile
{
    /// <param name="quantile">Between 0 and 1.</param>
    /// <param name="bounds">Ascending upper bounds.</param>
    /// <param name="counts">One count per bound, then the overflow; not cumulative.</param>
    /// <returns>Null when the histogram is empty.</returns>
    public static double? Estimate(double quantile, IReadOnlyList<double> bounds, ReadOnlySpan<long> counts)
    {
        long total = 0;
        foreach (var count in counts)
        {
            total += count;
        }

        if (total == 0)
        {
            return null;
        }

        var rank = quantile * total;
        long below = 0;
        for (var i = 0; i < bounds.Count; i++)
        {
            if (below + counts[i] >= rank && counts[i] > 0)
            {
                var lower = i == 0 ? 0 : bounds[i - 1];
                return lower + ((bounds[i] - lower) * (rank - below) / counts[i]);
            }

            below += counts[i];
        }

        return bounds[^1];
    }
}
