namespace ModelPlatform.Gateway.Mirroring.Comparison;

/// <summary>
/// How the canary's answer to one request compared with stable's: what did not match in structure
/// (null when output names, shapes and datatypes matched), the output with the largest absolute
/// difference and that difference, the largest relative difference, whether every element agreed
/// within tolerance, and whether every score output's arg-max agreed (null: no score outputs).
/// Differences that are not finite (a NaN or infinity against a number) read as <see cref="double.MaxValue"/>.
/// </summary>
internal sealed record PairComparison(string? Mismatch, string? Output, double MaxAbsDiff, double MaxRelDiff, bool WithinTolerance, bool? ArgmaxAgrees)
{
    /// <summary>Outside tolerance, a different arg-max, or a different structure: what a disagreement gate counts.</summary>
    public bool Disagrees => Mismatch is not null || !WithinTolerance || ArgmaxAgrees == false;

    public static PairComparison StructureMismatch(string why) => new(why, null, double.MaxValue, double.MaxValue, false, null);
}
