using System.Net;
using System.Net.Http.Json;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Rollouts;

/// <summary>A rollout survives its deployer: killed mid-rollout, the deployer replays the journal and goes on at the same step.</summary>
public sealed class RolloutRestartTests(RolloutDeployerFixture deployer) : IClassFixture<RolloutDeployerFixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(3);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_deployer_killed_mid_rollout_resumes_at_the_same_step_and_finishes()
    {
        using (var created = await deployer.Client.PostAsJsonAsync("/v1/deployments", new
        {
            name = "durable",
            stable = deployer.ModelVariant(),
            canary = deployer.ModelVariant(env: new() { ["VARIANT"] = "canary" }),
            rollout = new { steps = new[] { 10, 20, 30 }, bakeSeconds = 6, minCanaryRequests = 5, minStableRequests = 5 },
        }, Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        }

        await using var gateway = new FakeGateway(deployer, "durable");
        gateway.Set(VariantNames.Stable, 10);
        gateway.Set(VariantNames.Canary, 10);
        await deployer.WaitForAsync("durable", d => d.Status.Rollout is { Step: 1, State: RolloutStates.Running } && d.Traffic.Canary == 20, Long, Ct);

        await deployer.KillAsync();
        await deployer.StartAsync();

        var done = await deployer.WaitForAsync("durable", d => d.Status.Rollout?.State is { } state && RolloutStates.IsFinal(state), Long, Ct);
        Assert.Equal(RolloutStates.Succeeded, done.Status.Rollout!.State);
        var page = (await deployer.Client.GetFromJsonAsync<AuditPage>("/v1/audit?deployment=durable&action=rollout&limit=500", DeployerHarness.Json, Ct))!;
        var reasons = page.Items.Select(e => e.Outcome.Reason ?? string.Empty).Reverse().ToList();
        // Each step began once: the restart went on at step 2 rather than starting over.
        Assert.Single(reasons, r => r == "Step 1 of 3: canary weight 10.");
        Assert.Single(reasons, r => r.StartsWith("Step 1 of 3 (canary weight 10): Step passed", StringComparison.Ordinal));
        Assert.Single(reasons, r => r.StartsWith("Step 2 of 3 (canary weight 20): Step passed", StringComparison.Ordinal));
        Assert.Single(reasons, r => r.StartsWith("Step 3 of 3 (canary weight 30): Step passed", StringComparison.Ordinal));
    }
}
