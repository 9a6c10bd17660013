namespace ModelPlatform.Contracts;

/// <summary>
/// What one gateway process has seen of the mirror comparisons since it started, per model and
/// canary, as it hands it to the deployer (<c>POST /v1/telemetry/comparisons</c>, gateway role).
/// Counts are cumulative, so the deployer keeps each gateway's latest report and sums them; a lost
/// report loses nothing. <see cref="Gateway"/> names the process, as in <see cref="GatewayTelemetryReport"/>.
/// </summary>
public sealed record GatewayComparisonReport(string Gateway, long Sequence, IReadOnlyList<ComparisonCounts> Models);

/// <summary>
/// One model's mirror comparison in one gateway, for the canary replica set <see cref="Canary"/>:
/// requests copied to the canary (<see cref="Mirrored"/>), copies dropped because the queue was full,
/// requests not mirrored because their body (or stable's answer) was larger than the gateway
/// buffers, copies the canary failed (no replica, transport failure, timeout, an answer other than
/// stable's status), pairs that could not be compared (not an inference call, an unreadable answer),
/// and of the compared pairs: those whose every output agreed within tolerance, those with score
/// outputs and among them those whose arg-max agreed, and those that disagreed (outside tolerance,
/// a different arg-max, or different output names, shapes or datatypes). <see cref="MaxAbsDiffBuckets"/>
/// counts compared pairs by their largest absolute difference, one count per bound of
/// <see cref="ComparisonBuckets.MaxAbsDiffBounds"/> and one more for larger differences (and for
/// pairs whose outputs did not match in structure). <see cref="Worst"/>: the worst recent pairs.
/// </summary>
public sealed record ComparisonCounts(
    string Model,
    string Canary,
    long Mirrored,
    long Dropped,
    long TooLarge,
    long CanaryErrors,
    long Uncomparable,
    long Compared,
    long WithinTolerance,
    long ArgmaxCompared,
    long ArgmaxAgreed,
    long Disagreeing,
    IReadOnlyList<long> MaxAbsDiffBuckets,
    IReadOnlyList<ComparisonExample> Worst);

/// <summary>
/// One compared pair, by the caller's request id (no payload): the output with the largest absolute
/// difference, that difference and the largest relative one, whether every output agreed within
/// tolerance and the arg-max of every score output agreed (null: none had scores), and what did not
/// match in structure (null when names, shapes and datatypes matched).
/// </summary>
public sealed record ComparisonExample(
    string RequestId,
    DateTimeOffset At,
    string? Output,
    double MaxAbsDiff,
    double MaxRelDiff,
    bool WithinTolerance,
    bool? ArgmaxAgrees,
    string? Mismatch);

/// <summary>The bounds of the largest-absolute-difference histogram both sides share.</summary>
public static class ComparisonBuckets
{
    /// <summary>Upper bounds (inclusive); the first counts identical answers.</summary>
    public static IReadOnlyList<double> MaxAbsDiffBounds { get; } = [0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1];
}

/// <summary>
/// <c>GET /v1/deployments/{name}/comparison</c>: the shadow comparison of the current canary
/// (<see cref="Canary"/>, its replica set; null without one), summed over every gateway since the
/// canary became the current one. Rates are of <see cref="Compared"/> pairs, null before any.
/// </summary>
public sealed record DeploymentComparison(
    string Deployment,
    string? Canary,
    int Mirror,
    long Mirrored,
    long Dropped,
    long CanaryErrors,
    long Skipped,
    long TooLarge,
    long Uncomparable,
    long Compared,
    long Disagreeing,
    double? AgreementRate,
    double? ArgmaxAgreementRate,
    double? DisagreementRate,
    IReadOnlyList<DifferenceBucket> MaxAbsDiff,
    IReadOnlyList<ComparisonExample> Worst);

/// <summary>Compared pairs whose largest absolute difference is at most <see cref="Le"/> and above the previous bound (null: above every bound).</summary>
public sealed record DifferenceBucket(double? Le, long Count);
