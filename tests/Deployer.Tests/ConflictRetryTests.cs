using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Tests;

/// <summary>A read-check-write runs again after a conflicting write, a bounded number of times.</summary>
public sealed class ConflictRetryTests
{
    [Fact]
    public async Task A_conflict_runs_the_attempt_again()
    {
        var attempts = 0;

        var result = await ConflictRetry.RunAsync(() => ++attempts < 3 ? throw new ConcurrencyException("written meanwhile") : Task.FromResult(attempts));

        Assert.Equal(3, result);
    }

    [Fact]
    public async Task Conflicts_past_the_limit_reach_the_caller()
    {
        var attempts = 0;

        await Assert.ThrowsAsync<ConcurrencyException>(() => ConflictRetry.RunAsync<int>(() =>
        {
            attempts++;
            throw new ConcurrencyException("written meanwhile");
        }));

        Assert.Equal(ConflictRetry.MaxAttempts, attempts);
    }

    [Fact]
    public async Task Other_failures_are_not_retried()
    {
        var attempts = 0;

        await Assert.ThrowsAsync<InvalidOperationException>(() => ConflictRetry.RunAsync<int>(() =>
        {
            attempts++;
            throw new InvalidOperationException("not a conflict");
        }));

        Assert.Equal(1, attempts);
    }
}
