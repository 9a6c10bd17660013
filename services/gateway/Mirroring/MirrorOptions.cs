using System.ComponentModel.DataAnnotations;

namespace ModelPlatform.Gateway.Mirroring;

/// <summary>
/// How the gateway copies stable's requests to the canary (the route table's <c>mirror</c> share) and
/// compares the answers, under <c>Gateway:Mirror</c>.
/// </summary>
public sealed class MirrorOptions
{
    public const string Section = "Gateway:Mirror";

    /// <summary>Copies waiting to be sent; when it is full, further copies are dropped and counted.</summary>
    [Range(1, 100_000)]
    public int QueueCapacity { get; set; } = 256;

    /// <summary>Copies in flight to canaries at once, over all models.</summary>
    [Range(1, 256)]
    public int Senders { get; set; } = 4;

    /// <summary>
    /// Largest request body mirrored, and largest stable answer kept for the comparison: larger ones
    /// are counted as too large. The gateway buffers request bodies in memory up to 1 MiB for its
    /// retries, so a larger limit costs memory per mirrored request.
    /// </summary>
    [Range(1024, 64L * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>How long a canary may take to answer a copy.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Absolute tolerance: elements agree when |canary - stable| &lt;= atol + rtol * |stable|.</summary>
    [Range(0, double.MaxValue)]
    public double AbsoluteTolerance { get; set; } = 1e-5;

    /// <summary>Relative tolerance; see <see cref="AbsoluteTolerance"/>. The defaults suit FP32.</summary>
    [Range(0, double.MaxValue)]
    public double RelativeTolerance { get; set; } = 1e-3;

    /// <summary>How many of the worst recent pairs each model keeps, by request id.</summary>
    [Range(0, 100)]
    public int WorstExamples { get; set; } = 10;

    /// <summary>Whether to report the comparisons to the deployer, every <c>Gateway:Telemetry:ReportInterval</c>.</summary>
    public bool ReportToDeployer { get; set; } = true;
}
