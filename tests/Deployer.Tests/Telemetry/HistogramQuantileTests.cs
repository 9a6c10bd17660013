using ModelPlatform.Deployer.Telemetry;

namespace ModelPlatform.Deployer.Tests.Telemetry;

/// <summary>Quantiles from buckets, as Prometheus's histogram_quantile estimates them.</summary>
public sealed class HistogramQuantileTests
{
    private static readonly double[] Bounds = [0.1, 0.2, 0.4];

    [Fact]
    public void A_quantile_is_interpolated_linearly_inside_its_bucket()
    {
        // 10 requests up to 0.1 s, 10 in (0.1, 0.2]: the median is the top of the first bucket, p75 half-way through the second.
        long[] counts = [10, 10, 0, 0];

        Assert.Equal(0.1, HistogramQuantile.Estimate(0.5, Bounds, counts)!.Value, 9);
        Assert.Equal(0.15, HistogramQuantile.Estimate(0.75, Bounds, counts)!.Value, 9);
    }

    [Fact]
    public void The_first_bucket_starts_at_zero()
    {
        long[] counts = [4, 0, 0, 0];

        Assert.Equal(0.025, HistogramQuantile.Estimate(0.25, Bounds, counts)!.Value, 9);
    }

    [Fact]
    public void A_rank_in_the_overflow_bucket_is_the_highest_bound()
    {
        long[] counts = [1, 0, 0, 99];

        Assert.Equal(0.4, HistogramQuantile.Estimate(0.99, Bounds, counts)!.Value, 9);
    }

    [Fact]
    public void Empty_buckets_before_the_rank_are_skipped()
    {
        long[] counts = [0, 0, 10, 0];

        Assert.Equal(0.3, HistogramQuantile.Estimate(0.5, Bounds, counts)!.Value, 9);
    }

    [Fact]
    public void An_empty_histogram_has_no_quantile() =>
        Assert.Null(HistogramQuantile.Estimate(0.5, Bounds, new long[4]));
}
