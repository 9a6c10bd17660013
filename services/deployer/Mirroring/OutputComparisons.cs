using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Mirroring;

/// <summary>Rates read off a comparison; null before any pair was compared.</summary>
internal static class OutputComparisons
{
    /// <summary>The share of compared pairs that disagreed: outside tolerance, another arg-max, or another structure.</summary>
    public static double? DisagreementRate(ComparisonCounts counts) => Rate(counts.Disagreeing, counts.Compared);

    public static double? AgreementRate(ComparisonCounts counts) => Rate(counts.WithinTolerance, counts.Compared);

    public static double? ArgmaxAgreementRate(ComparisonCounts counts) => Rate(counts.ArgmaxAgreed, counts.ArgmaxCompared);

    public static ComparisonCounts Empty(string deployment, string canary) =>
        new(deployment, canary, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, [.. new long[ComparisonBuckets.MaxAbsDiffBounds.Count + 1]], []);

    private static double? Rate(long part, long whole) => whole == 0 ? null : (double)part / whole;
}
