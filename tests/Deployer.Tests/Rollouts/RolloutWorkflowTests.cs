using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Rollouts;

/// <summary>
/// Rollouts on a real deployer with the embedded workflow host and real replicas; the telemetry
/// comes from a stand-in gateway's reports, so each test decides how the canary serves.
/// </summary>
public sealed class RolloutWorkflowTests(RolloutDeployerFixture deployer) : IClassFixture<RolloutDeployerFixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(3);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_good_canary_walks_every_step_and_is_promoted_with_each_judgement_in_the_audit_trail()
    {
        await using var gateway = await DeployWithCanaryAsync("walks", new { steps = new[] { 10, 50, 100 }, bakeSeconds = 1, minCanaryRequests = 5, minStableRequests = 5 });
        gateway.Set(VariantNames.Stable, 10);
        gateway.Set(VariantNames.Canary, 10);

        var done = await deployer.WaitForAsync("walks", d => d.Status.Rollout?.State is { } state && RolloutStates.IsFinal(state), Long, Ct);

        Assert.Equal(RolloutStates.Succeeded, done.Status.Rollout!.State);
        done = await deployer.WaitForAsync("walks", d => d.Canary is null && d.Status.ObservedRevision == d.Status.Revision, Long, Ct);
        Assert.Equal("canary", done.Stable.Env!["VARIANT"]);
        var reasons = await RolloutAuditAsync("walks");
        Assert.Contains(reasons, reason => reason.StartsWith("Step 1 of 2 (canary weight 10): Step passed: serverErrorRatio 0 <= 0.01 pass", StringComparison.Ordinal));
        Assert.Contains(reasons, reason => reason.StartsWith("Step 2 of 2 (canary weight 50): Step passed", StringComparison.Ordinal));
        Assert.Contains(reasons, reason => reason.StartsWith("Rollout succeeded", StringComparison.Ordinal));
        var weights = await AuditAsync("walks", AuditActions.Traffic);
        Assert.Equal([10, 50], weights.Where(e => e.Actor == "rollout").Select(e => e.After!.Traffic!.Canary).Reverse());
    }

    [Fact]
    public async Task A_canary_failing_a_share_of_its_requests_is_rolled_back_and_the_status_shows_the_failed_gate()
    {
        await using var gateway = await DeployWithCanaryAsync("failing", new { bakeSeconds = 30, minCanaryRequests = 10, minStableRequests = 10 });
        gateway.Set(VariantNames.Stable, 10);
        gateway.Set(VariantNames.Canary, 10, serverErrors: 5);

        var done = await deployer.WaitForAsync("failing", d => d.Status.Rollout?.State is { } state && RolloutStates.IsFinal(state), Long, Ct);

        var rollout = done.Status.Rollout!;
        Assert.Equal(RolloutStates.RolledBack, rollout.State);
        Assert.Null(done.Canary);
        var gate = Assert.Single(rollout.Gates, g => g.Type == RolloutGateTypes.ServerErrorRatio);
        Assert.Equal((false, 0.01), (gate.Passed, gate.Max));
        Assert.InRange(gate.Measured!.Value, 0.3, 0.7);
        Assert.Equal(0, rollout.Step);
        var failed = (await AuditAsync("failing", AuditActions.Rollout)).First(e => e.Outcome.Status == AuditOutcomes.Failed);
        Assert.Contains("serverErrorRatio", failed.Outcome.Reason, StringComparison.Ordinal);
        Assert.Contains("> 0.01 FAIL", failed.Outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_gate_pauses_a_rollout_whose_policy_says_pause_and_the_canary_keeps_its_weight()
    {
        await using var gateway = await DeployWithCanaryAsync("pauses", new { steps = new[] { 20, 60 }, bakeSeconds = 30, minCanaryRequests = 10, minStableRequests = 10, onFailure = "pause" });
        gateway.Set(VariantNames.Stable, 10);
        gateway.Set(VariantNames.Canary, 10, clientErrors: 4);

        var paused = await deployer.WaitForAsync("pauses", d => d.Status.Rollout?.State == RolloutStates.Paused, Long, Ct);

        Assert.Equal("rollout", paused.Status.Rollout!.PausedBy);
        Assert.Contains("clientErrorRatio", paused.Status.Rollout.Reason, StringComparison.Ordinal);
        Assert.NotNull(paused.Canary);
        Assert.Equal(20, paused.Traffic.Canary);
    }

    [Fact]
    public async Task Too_little_traffic_waits_and_says_so_until_enough_arrives()
    {
        await using var gateway = await DeployWithCanaryAsync("quiet", new { steps = new[] { 10 }, bakeSeconds = 1, minCanaryRequests = 40, minStableRequests = 40 });
        gateway.Set(VariantNames.Stable, 1);
        gateway.Set(VariantNames.Canary, 1);

        var waiting = await deployer.WaitForAsync("quiet", d => d.Status.Rollout?.State == RolloutStates.WaitingForTraffic, Long, Ct);

        Assert.Contains("Too little traffic", waiting.Status.Rollout!.Reason, StringComparison.Ordinal);
        Assert.NotNull(waiting.Status.Rollout.Window);
        Assert.Equal(40, waiting.Status.Rollout.Window!.MinCanaryRequests);
        Assert.NotNull(waiting.Canary);

        gateway.Set(VariantNames.Stable, 20);
        gateway.Set(VariantNames.Canary, 20);
        var done = await deployer.WaitForAsync("quiet", d => d.Status.Rollout?.State is { } state && RolloutStates.IsFinal(state), Long, Ct);
        Assert.Equal(RolloutStates.Succeeded, done.Status.Rollout!.State);
    }

    [Fact]
    public async Task An_operator_pauses_resumes_and_aborts_a_rollout_and_each_is_refused_when_it_does_not_apply()
    {
        await using var gateway = await DeployWithCanaryAsync("steered", new { steps = new[] { 10, 50 }, bakeSeconds = 600, minCanaryRequests = 5, minStableRequests = 5 });
        gateway.Set(VariantNames.Stable, 10);
        gateway.Set(VariantNames.Canary, 10);

        using (var reader = await SendAsync("reader", "/v1/deployments/steered/rollout/pause"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, reader.StatusCode);
        }

        using (var resumeRunning = await SendAsync("operator", "/v1/deployments/steered/rollout/resume"))
        {
            Assert.Equal(HttpStatusCode.Conflict, resumeRunning.StatusCode);
            Assert.Contains("not paused", (await DeployerHarness.ProblemAsync(resumeRunning, Ct))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        using (var pause = await SendAsync("operator", "/v1/deployments/steered/rollout/pause"))
        {
            Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
            var paused = (await pause.Content.ReadFromJsonAsync<Deployment>(DeployerHarness.Json, Ct))!;
            Assert.Equal((RolloutStates.Paused, "test-operator"), (paused.Status.Rollout!.State, paused.Status.Rollout.PausedBy));
        }

        using (var resume = await SendAsync("operator", "/v1/deployments/steered/rollout/resume"))
        {
            Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
        }

        var resumed = await deployer.WaitForAsync("steered", d => d.Status.Rollout is { State: RolloutStates.Running, Window: not null }, Long, Ct);
        Assert.Null(resumed.Status.Rollout!.PausedBy);

        using (var abort = await SendAsync("operator", "/v1/deployments/steered/rollout/abort"))
        {
            Assert.Equal(HttpStatusCode.Accepted, abort.StatusCode);
        }

        var aborted = await deployer.WaitForAsync("steered", d => d.Canary is null && d.Status.ObservedRevision == d.Status.Revision, Long, Ct);
        Assert.Equal(RolloutStates.Aborted, aborted.Status.Rollout!.State);
        Assert.Equal(new TrafficSplit(100, 0), aborted.Traffic);
        using var again = await SendAsync("operator", "/v1/deployments/steered/rollout/abort");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("no rollout running", (await DeployerHarness.ProblemAsync(again, Ct))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var actions = (await AuditAsync("steered", AuditActions.Rollout)).Select(e => (e.Actor, e.Outcome.Reason)).ToList();
        Assert.Contains(("test-operator", "test-operator paused the rollout."), actions);
        Assert.Contains(("test-operator", "test-operator aborted the rollout."), actions);
    }

    [Fact]
    public async Task A_deployment_without_a_rollout_answers_409_to_rollout_controls()
    {
        (await deployer.CreateAsync("manual", deployer.ModelVariant(), null, Ct)).Dispose();

        using var pause = await SendAsync("operator", "/v1/deployments/manual/rollout/pause");
        using var missing = await SendAsync("operator", "/v1/deployments/nobody/rollout/pause");

        Assert.Equal(HttpStatusCode.Conflict, pause.StatusCode);
        Assert.Contains("no 'rollout' policy", (await DeployerHarness.ProblemAsync(pause, Ct))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task An_operators_own_weight_change_pauses_the_rollout_and_says_who()
    {
        await using var gateway = await DeployWithCanaryAsync("takeover", new { steps = new[] { 10, 50 }, bakeSeconds = 600, minCanaryRequests = 5, minStableRequests = 5 });
        await deployer.WaitForAsync("takeover", d => d.Traffic.Canary == 10, Long, Ct);

        using var put = await deployer.Client.PutAsJsonAsync("/v1/deployments/takeover/traffic", new { canary = 30 }, Ct);

        Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        var paused = await deployer.WaitForAsync("takeover", d => d.Status.ObservedRevision == d.Status.Revision, Long, Ct);
        Assert.Equal((RolloutStates.Paused, "test-admin"), (paused.Status.Rollout!.State, paused.Status.Rollout.PausedBy));
        Assert.Contains("set the canary's weight to 30 by hand", paused.Status.Rollout.Reason, StringComparison.Ordinal);
        Assert.Equal(30, paused.Traffic.Canary);
    }

    [Fact]
    public async Task A_whole_deployment_put_that_keeps_the_canary_at_another_weight_pauses_the_rollout()
    {
        var rollout = new { steps = new[] { 10, 50 }, bakeSeconds = 600, minCanaryRequests = 5, minStableRequests = 5 };
        await using var gateway = await DeployWithCanaryAsync("replaced", rollout);
        await deployer.WaitForAsync("replaced", d => d.Traffic.Canary == 10, Long, Ct);

        using var put = await deployer.Client.PutAsJsonAsync("/v1/deployments/replaced", new
        {
            stable = deployer.ModelVariant(),
            canary = deployer.ModelVariant(env: new() { ["VARIANT"] = "canary" }),
            traffic = new { canary = 40 },
            rollout,
        }, Ct);

        Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        var paused = await deployer.WaitForAsync("replaced", d => d.Status.ObservedRevision == d.Status.Revision, Long, Ct);
        Assert.Equal((RolloutStates.Paused, "test-admin"), (paused.Status.Rollout!.State, paused.Status.Rollout.PausedBy));
        Assert.Contains("set the canary's weight to 40 by hand", paused.Status.Rollout.Reason, StringComparison.Ordinal);
        Assert.Equal(40, paused.Traffic.Canary);
    }

    [Fact]
    public async Task A_bad_rollout_policy_is_400_naming_the_field()
    {
        using var created = await deployer.Client.PostAsJsonAsync("/v1/deployments", new
        {
            name = "badpolicy",
            stable = deployer.ModelVariant(),
            rollout = new { steps = new[] { 50, 25 }, gates = new[] { new { type = "accuracy" } } },
        }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, created.StatusCode);
        var errors = (await DeployerHarness.ProblemAsync(created, Ct))["errors"]!.AsObject();
        Assert.Contains("rollout.steps[1]", errors.Select(e => e.Key));
        Assert.Contains("rollout.gates[0].type", errors.Select(e => e.Key));
    }

    /// <summary>Creates a deployment with a rollout policy and a canary, with a stand-in gateway reporting nothing yet, and waits until the rollout runs.</summary>
    private async Task<FakeGateway> DeployWithCanaryAsync(string name, object rollout)
    {
        using (var created = await deployer.Client.PostAsJsonAsync("/v1/deployments", new
        {
            name,
            stable = deployer.ModelVariant(),
            canary = deployer.ModelVariant(env: new() { ["VARIANT"] = "canary" }),
            rollout,
        }, Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        }

        var gateway = new FakeGateway(deployer, name);
        await deployer.WaitForAsync(name, d => d.Status.Rollout is not null, Long, Ct);
        return gateway;
    }

    private async Task<HttpResponseMessage> SendAsync(string role, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", DeployerHarness.Tokens[role]);
        return await deployer.Client.SendAsync(request, Ct);
    }

    private async Task<List<AuditEntry>> AuditAsync(string name, string action) =>
        [.. (await deployer.Client.GetFromJsonAsync<AuditPage>($"/v1/audit?deployment={name}&action={action}&limit=500", DeployerHarness.Json, Ct))!.Items];

    private async Task<List<string>> RolloutAuditAsync(string name) =>
        [.. (await AuditAsync(name, AuditActions.Rollout)).Select(e => e.Outcome.Reason ?? string.Empty)];
}
