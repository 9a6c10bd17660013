using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Validation;

namespace ModelPlatform.Deployer.Tests.Rollouts;

/// <summary>A rollout policy's bad fields are named with the reason; an empty one is valid.</summary>
public sealed class RolloutValidationTests
{
    [Fact]
    public void An_empty_policy_is_valid() => Assert.Empty(RolloutValidator.Validate(new RolloutSpec()));

    public static TheoryData<RolloutSpec, string> Bad => new()
    {
        { new RolloutSpec { Steps = [] }, "rollout.steps" },
        { new RolloutSpec { Steps = [100] }, "rollout.steps" },
        { new RolloutSpec { Steps = [0, 50] }, "rollout.steps[0]" },
        { new RolloutSpec { Steps = [5, 101] }, "rollout.steps[1]" },
        { new RolloutSpec { Steps = [50, 25] }, "rollout.steps[1]" },
        { new RolloutSpec { Steps = [25, 25] }, "rollout.steps[1]" },
        { new RolloutSpec { BakeSeconds = 0 }, "rollout.bakeSeconds" },
        { new RolloutSpec { MinCanaryRequests = 0 }, "rollout.minCanaryRequests" },
        { new RolloutSpec { MinStableRequests = -1 }, "rollout.minStableRequests" },
        { new RolloutSpec { OnFailure = "ignore" }, "rollout.onFailure" },
        { new RolloutSpec { Gates = [new RolloutGateSpec { Type = "accuracy" }] }, "rollout.gates[0].type" },
        { new RolloutSpec { Gates = [new RolloutGateSpec()] }, "rollout.gates[0].type" },
        { new RolloutSpec { Gates = [new RolloutGateSpec { Type = RolloutGateTypes.ServerErrorRatio }, new RolloutGateSpec { Type = RolloutGateTypes.ServerErrorRatio }] }, "rollout.gates[1].type" },
        { new RolloutSpec { Gates = [new RolloutGateSpec { Type = RolloutGateTypes.ServerErrorRatio, Max = -0.1 }] }, "rollout.gates[0].max" },
        { new RolloutSpec { Gates = [new RolloutGateSpec { Type = RolloutGateTypes.LatencyP99Ratio, Max = 0.5 }] }, "rollout.gates[0].max" },
        { new RolloutSpec { Gates = [new RolloutGateSpec { Type = RolloutGateTypes.LatencyP50Ratio, Max = double.PositiveInfinity }] }, "rollout.gates[0].max" },
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public void A_bad_field_is_named(RolloutSpec spec, string field)
    {
        var problems = RolloutValidator.Validate(spec).ToList();

        var problem = Assert.Single(problems);
        Assert.Equal(field, problem.Field);
    }

    [Fact]
    public void Gates_with_limits_and_steps_ending_at_100_are_valid() => Assert.Empty(RolloutValidator.Validate(new RolloutSpec
    {
        Steps = [1, 10, 100],
        BakeSeconds = 5,
        Gates = [new RolloutGateSpec { Type = RolloutGateTypes.ServerErrorRatio, Max = 0 }, new RolloutGateSpec { Type = RolloutGateTypes.LatencyP99Ratio, Max = 3 }],
        OnFailure = RolloutFailureActions.Pause,
    }));
}
