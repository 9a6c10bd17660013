namespace ModelPlatform.Deployer.State;

/// <summary>
/// Read-check-write under the store's ETags: when someone else wrote between the read and the write
/// (<see cref="ConcurrencyException"/>), read again and re-apply, a bounded number of times.
/// </summary>
internal static class ConflictRetry
{
    /// <summary>
    /// How many times one change is tried. Writers of one deployment are a handful (API requests
    /// and its one workflow), so this many conflicts in a row means it is changing faster than
    /// anyone can follow; the caller then hears the last conflict.
    /// </summary>
    public const int MaxAttempts = 20;

    /// <summary>
    /// Runs <paramref name="attempt"/> (which must read what it checks afresh each time) until it
    /// completes without a conflict; after <see cref="MaxAttempts"/> conflicts the last one propagates.
    /// </summary>
    public static async Task<T> RunAsync<T>(Func<Task<T>> attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        for (var attempts = 1; ; attempts++)
        {
            try
            {
                return await attempt();
            }
            catch (ConcurrencyException) when (attempts < MaxAttempts)
            {
            }
        }
    }
}
