using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Mirroring;
using ModelPlatform.Deployer.Rollouts;
using ModelPlatform.Deployer.Rollouts.Gates;
using ModelPlatform.Deployer.State.Sqlite;
using ModelPlatform.Deployer.Telemetry;

namespace ModelPlatform.Deployer.Tests.Rollouts;

/// <summary>The rollout gate over mirrored traffic's comparison: it waits for enough compared answers, then judges their disagreement.</summary>
public sealed class DisagreementGateTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("modelplatform-gate-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task Too_few_compared_answers_hold_the_step_and_say_mirroring_is_off()
    {
        var gate = await GateAsync(mirror: 0, Counts(compared: 3, disagreeing: 3));

        var reading = await gate.ReadAsync(Window(minSamples: 10), Ct);

        Assert.Null(reading.Measured);
        Assert.Contains("3 of 10 mirrored answers compared", reading.Missing, StringComparison.Ordinal);
        Assert.Contains("traffic.mirror", reading.Missing, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enough_compared_answers_are_judged_by_the_share_that_disagreed()
    {
        var gate = await GateAsync(mirror: 100, Counts(compared: 40, disagreeing: 10));

        var reading = await gate.ReadAsync(Window(minSamples: 40), Ct);

        Assert.Equal(0.25, reading.Measured);
    }

    [Fact]
    public async Task A_canary_that_disagrees_fails_a_step_whose_other_gates_pass()
    {
        var policy = RolloutPolicy.From(new RolloutSpec
        {
            MinCanaryRequests = 5,
            MinStableRequests = 5,
            Gates = [new RolloutGateSpec { Type = RolloutGateTypes.ServerErrorRatio }, new RolloutGateSpec { Type = RolloutGateTypes.Disagreement, Max = 0.05 }],
        });
        var window = Window(minSamples: 5);
        var gate = await GateAsync(mirror: 50, Counts(compared: 20, disagreeing: 2));

        var judgement = StepJudgement.Of(policy, window,
            [(policy.Gates[0], await new ServerErrorRatioGate().ReadAsync(window, Ct)), (policy.Gates[1], await gate.ReadAsync(window, Ct))], baked: true);

        Assert.Equal(StepVerdict.Failed, judgement.Verdict);
        Assert.Contains(RolloutGateTypes.Disagreement, judgement.Reason, StringComparison.Ordinal);
    }

    private async Task<DisagreementGate> GateAsync(int mirror, ComparisonCounts counts)
    {
        var store = new SqliteDeploymentStore(new SqliteDatabase(Options.Create(new DeployerOptions { DataDirectory = _data })));
        await store.CreateAsync(new DeploymentRecord
        {
            Name = "model",
            Uid = "uid-1",
            Stable = new VariantSpec { Model = new ModelSource { Format = "onnx", Uri = "/models/a.onnx" } },
            Canary = new VariantSpec { Model = new ModelSource { Format = "onnx", Uri = "/models/b.onnx" } },
            CanaryWeight = 5,
            Mirror = mirror,
            CreatedAt = DateTimeOffset.UtcNow,
        }, Ct);
        return new DisagreementGate(store, new FixedComparison(counts));
    }

    private static RolloutWindow Window(long minSamples) => new("model", TimeSpan.FromSeconds(30), new TelemetryReading(
        [Variant(VariantNames.Stable), Variant(VariantNames.Canary)], 1), minSamples);

    private static VariantMetrics Variant(string name) => new(name, 100, 100 / 30.0, 0, 0, 0, 0, 0, new LatencyQuantiles(0.01, 0.01, 0.01), 0);

    private static ComparisonCounts Counts(long compared, long disagreeing) => OutputComparisons.Empty("model", "model-canary") with
    {
        Mirrored = compared,
        Compared = compared,
        WithinTolerance = compared - disagreeing,
        Disagreeing = disagreeing,
    };

    private sealed class FixedComparison(ComparisonCounts counts) : IOutputComparison
    {
        public ComparisonCounts Read(DeploymentRecord record) => counts;
    }
}
