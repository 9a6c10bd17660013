using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Rollouts;
using ModelPlatform.Deployer.Rollouts.Gates;
using ModelPlatform.Deployer.Telemetry;

namespace ModelPlatform.Deployer.Tests.Rollouts;

/// <summary>How a step's window is judged: enough traffic first, then every gate against its limit, and bake time only for passing.</summary>
public sealed class StepJudgementTests
{
    private static readonly RolloutPolicy Policy = RolloutPolicy.From(new RolloutSpec { MinCanaryRequests = 10, MinStableRequests = 20 });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Equal_variants_with_enough_traffic_pass_once_baked_and_bake_before()
    {
        var window = Window(Variant(VariantNames.Canary, 500, latency: 0.010), Variant(VariantNames.Stable, 500, latency: 0.010));

        Assert.Equal(StepVerdict.Passed, (await JudgeAsync(window, baked: true)).Verdict);
        var baking = await JudgeAsync(window, baked: false);
        Assert.Equal(StepVerdict.Baking, baking.Verdict);
        Assert.All(baking.Gates, gate => Assert.True(gate.Passed));
    }

    [Theory]
    [InlineData(9, 100)]
    [InlineData(10, 19)]
    [InlineData(0, 0)]
    public async Task Too_few_requests_of_either_variant_is_no_judgement_even_with_failing_errors(long canary, long stable)
    {
        var window = Window(Variant(VariantNames.Canary, canary, serverErrors: canary), Variant(VariantNames.Stable, stable));

        var judgement = await JudgeAsync(window, baked: true);

        Assert.Equal(StepVerdict.NotEnoughTraffic, judgement.Verdict);
        Assert.All(judgement.Gates, gate => Assert.Null(gate.Passed));
        Assert.Equal((canary, 10L, stable, 20L), (judgement.Window.CanaryRequests, judgement.Window.MinCanaryRequests, judgement.Window.StableRequests, judgement.Window.MinStableRequests));
    }

    [Fact]
    public async Task The_server_error_gate_compares_the_canarys_ratio_with_stables_and_fails_before_the_bake_is_over()
    {
        var window = Window(Variant(VariantNames.Canary, 100, serverErrors: 5), Variant(VariantNames.Stable, 100, serverErrors: 2));

        var judgement = await JudgeAsync(window, baked: false);

        Assert.Equal(StepVerdict.Failed, judgement.Verdict);
        var gate = judgement.Gates.Single(g => g.Type == RolloutGateTypes.ServerErrorRatio);
        Assert.Equal(0.03, gate.Measured!.Value, 9);
        Assert.False(gate.Passed);
        Assert.Contains("serverErrorRatio 0.03 > 0.01 FAIL", judgement.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_stable_has_too_do_not_fail_the_canary()
    {
        var window = Window(Variant(VariantNames.Canary, 500, serverErrors: 10, clientErrors: 10), Variant(VariantNames.Stable, 500, serverErrors: 10, clientErrors: 10));

        Assert.Equal(StepVerdict.Passed, (await JudgeAsync(window, baked: true)).Verdict);
    }

    [Fact]
    public async Task The_client_error_gate_fails_a_canary_that_refuses_what_stable_accepts()
    {
        var window = Window(Variant(VariantNames.Canary, 100, clientErrors: 50), Variant(VariantNames.Stable, 100));

        var judgement = await JudgeAsync(window, baked: true);

        Assert.Equal(StepVerdict.Failed, judgement.Verdict);
        Assert.False(judgement.Gates.Single(g => g.Type == RolloutGateTypes.ClientErrorRatio).Passed);
        Assert.True(judgement.Gates.Single(g => g.Type == RolloutGateTypes.ServerErrorRatio).Passed);
    }

    [Fact]
    public async Task Latency_gates_divide_canary_by_stable_per_quantile()
    {
        var window = Window(Variant(VariantNames.Canary, 500, latency: 0.040, p99: 0.100), Variant(VariantNames.Stable, 500, latency: 0.020, p99: 0.080));

        var judgement = await JudgeAsync(window, baked: true);

        Assert.Equal(StepVerdict.Failed, judgement.Verdict);
        var p50 = judgement.Gates.Single(g => g.Type == RolloutGateTypes.LatencyP50Ratio);
        var p99 = judgement.Gates.Single(g => g.Type == RolloutGateTypes.LatencyP99Ratio);
        Assert.Equal((2.0, false), (p50.Measured!.Value, p50.Passed!.Value));
        Assert.Equal((1.25, true), (p99.Measured!.Value, p99.Passed!.Value));
    }

    [Fact]
    public async Task Latencies_under_the_floor_count_as_the_floor_so_fast_variants_are_not_twice_as_slow()
    {
        var window = Window(Variant(VariantNames.Canary, 500, latency: 0.002), Variant(VariantNames.Stable, 500, latency: 0.0008));

        var judgement = await JudgeAsync(window, baked: true);

        Assert.Equal(StepVerdict.Passed, judgement.Verdict);
        Assert.Equal(1.0, judgement.Gates.Single(g => g.Type == RolloutGateTypes.LatencyP50Ratio).Measured);
    }

    [Fact]
    public async Task A_gate_that_cannot_measure_yet_holds_the_step_rather_than_passing_it()
    {
        var policy = RolloutPolicy.From(new RolloutSpec { MinCanaryRequests = 1, MinStableRequests = 1, Gates = [new RolloutGateSpec { Type = RolloutGateTypes.LatencyP99Ratio }] });
        var window = Window(Variant(VariantNames.Canary, 5, latency: null), Variant(VariantNames.Stable, 5));
        var gate = LatencyRatioGate.P99();

        var judgement = StepJudgement.Of(policy, window, [(policy.Gates[0], await gate.ReadAsync(window, Ct))], baked: true);

        Assert.Equal(StepVerdict.NotEnoughTraffic, judgement.Verdict);
        Assert.Contains("latencyP99Ratio cannot judge yet", judgement.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_p99_gate_waits_for_enough_requests_of_each_variant_so_one_slow_first_request_does_not_decide()
    {
        // 101 canary requests: the window in which bench/rollout saw a healthy canary's p99 decided by one slow request.
        var few = Window(Variant(VariantNames.Canary, 101, latency: 0.010, p99: 0.500), Variant(VariantNames.Stable, 2000, latency: 0.010));
        var enough = Window(Variant(VariantNames.Canary, 500, latency: 0.010, p99: 0.500), Variant(VariantNames.Stable, 2000, latency: 0.010));

        var waiting = await JudgeAsync(few, baked: true);
        var judged = await JudgeAsync(enough, baked: true);

        Assert.Equal(StepVerdict.NotEnoughTraffic, waiting.Verdict);
        Assert.Contains("latencyP99Ratio needs 500 requests of each variant (canary 101, stable 2000)", waiting.Reason, StringComparison.Ordinal);
        Assert.Equal(StepVerdict.Failed, judged.Verdict);
        Assert.Equal(50.0, judged.Gates.Single(g => g.Type == RolloutGateTypes.LatencyP99Ratio).Measured);
    }

    [Fact]
    public async Task A_gate_over_its_limit_fails_the_step_while_another_gate_still_waits_for_requests()
    {
        var window = Window(Variant(VariantNames.Canary, 21, clientErrors: 10), Variant(VariantNames.Stable, 400));

        var judgement = await JudgeAsync(window, baked: false);

        Assert.Equal(StepVerdict.Failed, judgement.Verdict);
        Assert.False(judgement.Gates.Single(g => g.Type == RolloutGateTypes.ClientErrorRatio).Passed);
        Assert.Null(judgement.Gates.Single(g => g.Type == RolloutGateTypes.LatencyP99Ratio).Passed);
        Assert.DoesNotContain(RolloutGateTypes.LatencyP99Ratio, judgement.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_policy_gets_the_defaults_and_a_final_100_is_the_promotion()
    {
        var policy = RolloutPolicy.From(new RolloutSpec());

        Assert.Equal([5, 25, 50], policy.Steps);
        Assert.Equal((TimeSpan.FromSeconds(30), 50L, 50L, RolloutFailureActions.Rollback), (policy.Bake, policy.MinCanaryRequests, policy.MinStableRequests, policy.OnFailure));
        Assert.Equal(RolloutPolicy.DefaultGates, policy.Gates.Select(g => g.Type));
        Assert.DoesNotContain(RolloutGateTypes.Disagreement, RolloutPolicy.DefaultGates);
        Assert.Equal([0.01, 0.02, 1.5, 2.0], policy.Gates.Select(g => g.Max));
    }

    private static async Task<StepJudgement> JudgeAsync(RolloutWindow window, bool baked)
    {
        IRolloutGate[] gates = [new ServerErrorRatioGate(), new ClientErrorRatioGate(), LatencyRatioGate.P50(), LatencyRatioGate.P99()];
        var readings = new List<(GatePolicy, GateReading)>();
        foreach (var gate in Policy.Gates)
        {
            readings.Add((gate, await gates.Single(g => g.Type == gate.Type).ReadAsync(window, Ct)));
        }

        return StepJudgement.Of(Policy, window, readings, baked);
    }

    private static RolloutWindow Window(params VariantMetrics[] variants) => new("model", TimeSpan.FromSeconds(30), new TelemetryReading(variants, 1));

    private static VariantMetrics Variant(string name, long requests, long serverErrors = 0, long clientErrors = 0, double? latency = 0.010, double? p99 = null) => new(
        name, requests, requests / 30.0, serverErrors, 0, clientErrors,
        requests == 0 ? 0 : serverErrors / (double)requests, requests == 0 ? 0 : clientErrors / (double)requests,
        latency is { } p50 ? new LatencyQuantiles(p50, p50, p99 ?? p50) : null, 0);
}
