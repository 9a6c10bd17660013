namespace ModelPlatform.Deployer.Common;

/// <summary>
/// Wakes everyone waiting for "something changed". Take <see cref="Changed"/> before looking at the
/// state, then await it: a change that happens in between completes the task already taken, so no
/// wake-up is lost.
/// </summary>
internal sealed class ChangeSignal
{
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next <see cref="Signal"/>.</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    public void Signal() =>
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
