using ModelPlatform.Contracts;

namespace ModelPlatform.EndToEnd.Tests.Rollouts;

/// <summary>The deployer killed in the middle of a rollout under load: started again, it goes on at the same step.</summary>
public sealed class RolloutRestartTests : IAsyncLifetime
{
    private readonly RolloutPlatform _platform = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _platform.InitializeAsync();

    public ValueTask DisposeAsync() => _platform.DisposeAsync();

    [Fact]
    public async Task A_deployer_killed_mid_rollout_resumes_at_the_same_step_and_promotes()
    {
        await _platform.CreateWithRolloutAsync("durable", _platform.ModelVariant(), _platform.ModelVariant(env: new() { ["VARIANT"] = "canary" }),
            new { steps = new[] { 10, 20, 30 }, bakeSeconds = 4, minCanaryRequests = 10, minStableRequests = 10, gates = RolloutPlatform.ErrorGates }, Ct);
        await _platform.WaitForRoutesAsync("durable", RolloutPlatform.AddMulRequest(1), Ct);
        await using var load = SteadyLoad.Start(_platform.Gateways, "durable", [RolloutPlatform.AddMulRequest(1)]);
        await _platform.WaitForRolloutAsync("durable", r => r is { Step: 1, State: RolloutStates.Running or RolloutStates.WaitingForTraffic }, Ct);

        await _platform.KillAsync();
        await _platform.StartAsync();

        var done = await _platform.WaitForRolloutEndAsync("durable", Ct);
        Assert.Equal(RolloutStates.Succeeded, done.Status.Rollout!.State);
        var reasons = await _platform.RolloutReasonsAsync("durable", Ct);
        // Step 1 began and passed once: the restarted deployer went on at step 2 rather than start over.
        Assert.Single(reasons, r => r == "Step 1 of 3: canary weight 10.");
        Assert.Single(reasons, r => r.StartsWith("Step 1 of 3 (canary weight 10): Step passed", StringComparison.Ordinal));
        Assert.Single(reasons, r => r.StartsWith("Step 2 of 3 (canary weight 20): Step passed", StringComparison.Ordinal));
        Assert.Single(reasons, r => r.StartsWith("Step 3 of 3 (canary weight 30): Step passed", StringComparison.Ordinal));
    }
}
