using System.Text.Json;
using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Rollouts;

/// <summary>
/// A rollout's policy with every default filled in: what the workflow runs by. Journaled in the
/// workflow's input, so a rollout keeps the policy it started with until it is resumed.
/// </summary>
/// <remarks><paramref name="Steps"/> are the weights judged; a final 100 in the spec is the promotion and is not among them.</remarks>
internal sealed record RolloutPolicy(
    IReadOnlyList<int> Steps, TimeSpan Bake, long MinCanaryRequests, long MinStableRequests, IReadOnlyList<GatePolicy> Gates, string OnFailure)
{
    public static readonly IReadOnlyList<int> DefaultSteps = [5, 25, 50, 100];
    public const int DefaultBakeSeconds = 30;
    public const long DefaultMinRequests = 50;

    /// <summary>The gates a rollout judges by when its spec names none, each with its default limit.</summary>
    public static IReadOnlyList<string> DefaultGates { get; } =
        [RolloutGateTypes.ServerErrorRatio, RolloutGateTypes.ClientErrorRatio, RolloutGateTypes.LatencyP50Ratio, RolloutGateTypes.LatencyP99Ratio];

    /// <summary>The policy of a valid spec (see <see cref="Validation.RolloutValidator"/>).</summary>
    public static RolloutPolicy From(RolloutSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var gates = spec.Gates is { } named
            ? named.Select(gate => new GatePolicy(gate.Type!, gate.Max ?? DefaultMax(gate.Type!))).ToList()
            : DefaultGates.Select(type => new GatePolicy(type, DefaultMax(type))).ToList();
        return new RolloutPolicy(
            [.. (spec.Steps ?? DefaultSteps).Where(weight => weight < 100)],
            TimeSpan.FromSeconds(spec.BakeSeconds ?? DefaultBakeSeconds),
            spec.MinCanaryRequests ?? DefaultMinRequests,
            spec.MinStableRequests ?? DefaultMinRequests,
            gates,
            spec.OnFailure ?? RolloutFailureActions.Rollback);
    }

    /// <summary>The limit a gate of <paramref name="type"/> has when its spec gives none.</summary>
    public static double DefaultMax(string type) => type switch
    {
        RolloutGateTypes.ServerErrorRatio => 0.01,
        RolloutGateTypes.ClientErrorRatio => 0.02,
        RolloutGateTypes.LatencyP50Ratio => 1.5,
        RolloutGateTypes.LatencyP99Ratio => 2.0,
        RolloutGateTypes.Disagreement => 0.01,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a gate type"),
    };

    /// <summary>Whether two specs ask for the same rollout (both absent counts as the same).</summary>
    public static bool Same(RolloutSpec? a, RolloutSpec? b) =>
        JsonSerializer.Serialize(a, Common.StoredJson.Options) == JsonSerializer.Serialize(b, Common.StoredJson.Options);
}

/// <summary>One gate of a policy: its type and the largest value it passes.</summary>
internal sealed record GatePolicy(string Type, double Max);
