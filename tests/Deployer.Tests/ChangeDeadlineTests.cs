using ModelPlatform.Deployer.Common;

namespace ModelPlatform.Deployer.Tests;

/// <summary>A wait on a change signal ends with the change, with the deadline (not yet), or with the caller's cancellation.</summary>
public sealed class ChangeDeadlineTests
{
    [Fact]
    public async Task A_change_ends_the_wait()
    {
        var signal = new ChangeSignal();
        using var deadline = new ChangeDeadline(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);
        var changed = signal.Changed;

        var waiting = deadline.WaitAsync(changed);
        signal.Signal();

        Assert.True(await waiting);
    }

    [Fact]
    public async Task A_change_between_taking_the_signal_and_waiting_is_not_lost()
    {
        var signal = new ChangeSignal();
        using var deadline = new ChangeDeadline(TimeSpan.Zero, TestContext.Current.CancellationToken);
        var changed = signal.Changed;

        signal.Signal();

        Assert.True(await deadline.WaitAsync(changed));
    }

    [Fact]
    public async Task The_deadline_answers_not_yet()
    {
        var signal = new ChangeSignal();
        using var deadline = new ChangeDeadline(TimeSpan.FromMilliseconds(1), TestContext.Current.CancellationToken);

        Assert.False(await deadline.WaitAsync(signal.Changed));
    }

    [Fact]
    public async Task The_callers_cancellation_throws()
    {
        var signal = new ChangeSignal();
        using var caller = new CancellationTokenSource();
        using var deadline = new ChangeDeadline(TimeSpan.FromMinutes(5), caller.Token);

        var waiting = deadline.WaitAsync(signal.Changed);
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }
}
