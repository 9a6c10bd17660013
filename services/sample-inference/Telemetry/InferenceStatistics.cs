namespace ModelPlatform.SampleInference.Telemetry;

/// <summary>
/// Cumulative counts and times of the served model's inferences, REST and gRPC together, for
/// Triton's statistics extension (<c>/v2/models/{name}/stats</c>): what its perf analyzer samples
/// before and after a run to split latency into queue, input, compute and output.
/// </summary>
internal sealed class InferenceStatistics(TimeProvider clock)
{
    private Duration _success;
    private Duration _fail;
    private Duration _queue;
    private Duration _computeInput;
    private Duration _computeInfer;
    private Duration _computeOutput;
    private long _lastInference;

    public void RecordQueue(TimeSpan elapsed) => _queue.Add(elapsed);

    public void RecordComputeInput(TimeSpan elapsed) => _computeInput.Add(elapsed);

    public void RecordComputeInfer(TimeSpan elapsed) => _computeInfer.Add(elapsed);

    public void RecordComputeOutput(TimeSpan elapsed) => _computeOutput.Add(elapsed);

    public void RecordSuccess(TimeSpan elapsed)
    {
        _success.Add(elapsed);
        Volatile.Write(ref _lastInference, clock.GetUtcNow().ToUnixTimeMilliseconds());
    }

    public void RecordFailure(TimeSpan elapsed)
    {
        _fail.Add(elapsed);
        Volatile.Write(ref _lastInference, clock.GetUtcNow().ToUnixTimeMilliseconds());
    }

    public StatisticsSnapshot Snapshot() => new(
        Volatile.Read(ref _lastInference),
        _success.Read(),
        _fail.Read(),
        _queue.Read(),
        _computeInput.Read(),
        _computeInfer.Read(),
        _computeOutput.Read());

    /// <summary>A count and a total in nanoseconds, each added to atomically.</summary>
    private struct Duration
    {
        private long _count;
        private long _nanoseconds;

        public void Add(TimeSpan elapsed)
        {
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _nanoseconds, elapsed.Ticks * TimeSpan.NanosecondsPerTick);
        }

        public (long Count, long Nanoseconds) Read() => (Interlocked.Read(ref _count), Interlocked.Read(ref _nanoseconds));
    }
}

/// <summary>The statistics at one moment; <see cref="LastInference"/> is in milliseconds since the epoch, 0 for never.</summary>
internal sealed record StatisticsSnapshot(
    long LastInference,
    (long Count, long Nanoseconds) Success,
    (long Count, long Nanoseconds) Fail,
    (long Count, long Nanoseconds) Queue,
    (long Count, long Nanoseconds) ComputeInput,
    (long Count, long Nanoseconds) ComputeInfer,
    (long Count, long Nanoseconds) ComputeOutput);
