namespace ModelPlatform.Deployer.State.Dapr;

/// <summary>
/// How long one write keeps retrying lost races: a number of attempts and a time, whichever runs
/// out first, so a hot key under heavy contention, or a store that answers slowly, cannot hold a
/// request or a workflow for minutes. Past either, the store is reported unavailable (503, retry later).
/// </summary>
internal sealed class ConflictRetries(TimeProvider time, string what)
{
    public const int MaxAttempts = 50;
    public static readonly TimeSpan MaxTime = TimeSpan.FromSeconds(10);

    private readonly long _started = time.GetTimestamp();
    private int _conflicts;

    /// <summary>Counts one lost race; throws once the budget is spent.</summary>
    public void Lost()
    {
        _conflicts++;
        var elapsed = time.GetElapsedTime(_started);
        if (_conflicts >= MaxAttempts || elapsed >= MaxTime)
        {
            throw new StoreUnavailableException(
                $"Writing {what} lost {_conflicts} races with other writers in {elapsed.TotalSeconds:0.#} s; nothing was changed. Retry later.");
        }
    }
}
