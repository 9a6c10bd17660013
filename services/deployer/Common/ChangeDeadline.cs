namespace ModelPlatform.Deployer.Common;

/// <summary>
/// The deadline of a wait on <see cref="ChangeSignal"/>: the caller takes <see cref="ChangeSignal.Changed"/>,
/// looks at the state, and if it is not there yet waits here for the next change. Tells "the
/// deadline passed" (an answer: not yet) apart from "the caller gave up" (cancellation, which throws).
/// </summary>
internal sealed class ChangeDeadline : IDisposable
{
    private readonly CancellationTokenSource _deadline;
    private readonly CancellationToken _cancellationToken;

    public ChangeDeadline(TimeSpan timeout, CancellationToken cancellationToken)
    {
        _cancellationToken = cancellationToken;
        _deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _deadline.CancelAfter(timeout);
    }

    /// <summary>
    /// Waits for <paramref name="changed"/> (taken before the state was looked at); true when it
    /// completed, false when the deadline passed first. The caller's own cancellation throws.
    /// </summary>
    public async Task<bool> WaitAsync(Task changed)
    {
        ArgumentNullException.ThrowIfNull(changed);
        try
        {
            await changed.WaitAsync(_deadline.Token);
            return true;
        }
        catch (OperationCanceledException) when (!_cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Dispose() => _deadline.Dispose();
}
