using System.Net;
using ModelPlatform.Contracts;

namespace ModelPlatform.EndToEnd.Tests.Rollouts;

/// <summary>A rollout in the hands of its operators and its traffic: it waits for enough requests, and obeys pause, resume, abort and a weight set by hand.</summary>
public sealed class RolloutOperationTests(RolloutPlatform platform) : IClassFixture<RolloutPlatform>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Too_little_traffic_waits_saying_how_many_requests_it_has_and_proceeds_once_load_starts()
    {
        await platform.CreateWithRolloutAsync("quiet", platform.ModelVariant(), platform.ModelVariant(env: new() { ["VARIANT"] = "canary" }),
            new { steps = new[] { 20 }, bakeSeconds = 1, minCanaryRequests = 20, minStableRequests = 20, gates = RolloutPlatform.ErrorGates }, Ct);

        var waiting = await platform.WaitForRolloutAsync("quiet", r => r.State == RolloutStates.WaitingForTraffic && r.Window is not null, Ct);

        var window = waiting.Status.Rollout!.Window!;
        Assert.Equal((20L, 20L), (window.MinCanaryRequests, window.MinStableRequests));
        Assert.True(window.CanaryRequests < 20 || window.StableRequests < 20);
        Assert.Contains("Too little traffic to judge", waiting.Status.Rollout.Reason, StringComparison.Ordinal);
        Assert.All(waiting.Status.Rollout.Gates, gate => Assert.Null(gate.Passed));

        await platform.WaitForRoutesAsync("quiet", RolloutPlatform.AddMulRequest(1), Ct);
        await using var load = SteadyLoad.Start(platform.Gateways, "quiet", [RolloutPlatform.AddMulRequest(1)]);
        var done = await platform.WaitForRolloutEndAsync("quiet", Ct);

        Assert.Equal(RolloutStates.Succeeded, done.Status.Rollout!.State);
        Assert.True(done.Status.Rollout.Window!.CanaryRequests >= 20);
        Assert.Contains(await platform.RolloutReasonsAsync("quiet", Ct), r => r.StartsWith("Step 1 of 1 (canary weight 20): Too little traffic to judge", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_operator_pauses_resumes_takes_over_the_weight_and_aborts_and_the_status_says_who()
    {
        await platform.CreateWithRolloutAsync("steered", platform.ModelVariant(), platform.ModelVariant(env: new() { ["VARIANT"] = "canary" }),
            new { steps = new[] { 10, 50 }, bakeSeconds = 3600, minCanaryRequests = 5, minStableRequests = 5, gates = RolloutPlatform.ErrorGates }, Ct);
        await platform.WaitForRoutesAsync("steered", RolloutPlatform.AddMulRequest(1), Ct);
        await using var load = SteadyLoad.Start(platform.Gateways, "steered", [RolloutPlatform.AddMulRequest(1)]);
        await platform.WaitForRolloutAsync("steered", r => r is { State: RolloutStates.Running, Weight: 10 }, Ct);

        using (var pause = await platform.SendAsync("operator", HttpMethod.Post, "/v1/deployments/steered/rollout/pause", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
        }

        var paused = await platform.WaitForRolloutAsync("steered", r => r.State == RolloutStates.Paused, Ct);
        Assert.Equal("test-operator", paused.Status.Rollout!.PausedBy);
        Assert.Equal(10, paused.Traffic.Canary);

        using (var resume = await platform.SendAsync("operator", HttpMethod.Post, "/v1/deployments/steered/rollout/resume", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
        }

        await platform.WaitForRolloutAsync("steered", r => r.State is RolloutStates.Running or RolloutStates.WaitingForTraffic, Ct);

        // The operator's own weight: the rollout stops moving it and says who took over.
        using (var traffic = await platform.SendAsync("operator", HttpMethod.Put, "/v1/deployments/steered/traffic", new { canary = 30 }, Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, traffic.StatusCode);
        }

        var takenOver = await platform.WaitForRolloutAsync("steered", r => r.State == RolloutStates.Paused, Ct);
        Assert.Equal("test-operator", takenOver.Status.Rollout!.PausedBy);
        Assert.Contains("set the canary's weight to 30 by hand", takenOver.Status.Rollout.Reason, StringComparison.Ordinal);
        Assert.Equal(30, takenOver.Traffic.Canary);

        using (var abort = await platform.SendAsync("operator", HttpMethod.Post, "/v1/deployments/steered/rollout/abort", null, Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, abort.StatusCode);
        }

        var aborted = await platform.WaitForRolloutAsync("steered", r => r.State == RolloutStates.Aborted, Ct);
        Assert.Null(aborted.Canary);
        var entries = (await platform.AuditAsync("steered", AuditActions.Rollout, Ct)).Select(e => (e.Actor, e.Outcome.Reason)).ToList();
        Assert.Contains(("test-operator", "test-operator paused the rollout."), entries);
        Assert.Contains(("test-operator", "test-operator resumed the rollout at step 1."), entries);
        Assert.Contains(("test-operator", "test-operator aborted the rollout."), entries);
        var stableOnly = await platform.WaitForAsync("steered", d => d.Status.ObservedRevision == d.Status.Revision, RolloutPlatform.Patience, Ct);
        Assert.Null(stableOnly.Canary);
    }
}
