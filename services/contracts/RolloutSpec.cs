using System.Text.Json.Serialization;

namespace ModelPlatform.Contracts;

/// <summary>
/// How a canary is rolled out by the platform: the weights it is judged at, how long and on how many
/// requests each step is judged, the gates it must pass against stable over the same window, and
/// what happens when one fails. Every field may be left out (<c>"rollout": {}</c>) for its default.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RolloutSpec
{
    /// <summary>
    /// The canary's weights, rising, each 1 to 100 (default 5, 25, 50, 100). The canary is promoted
    /// once the last step under 100 passes; a final 100 only says so.
    /// </summary>
    public IReadOnlyList<int>? Steps { get; init; }

    /// <summary>The least time each step runs before it may pass, in seconds (default 30).</summary>
    public int? BakeSeconds { get; init; }

    /// <summary>The least canary requests a step's window must hold before it is judged (default 50).</summary>
    public long? MinCanaryRequests { get; init; }

    /// <summary>The least stable requests a step's window must hold before it is judged (default 50).</summary>
    public long? MinStableRequests { get; init; }

    /// <summary>The gates a step must pass; left out, every gate type with its default limit.</summary>
    public IReadOnlyList<RolloutGateSpec>? Gates { get; init; }

    /// <summary><c>rollback</c> (the default) or <c>pause</c>: what a failed gate does.</summary>
    public string? OnFailure { get; init; }
}

/// <summary>One gate: its type (one of <see cref="RolloutGateTypes"/>) and the largest value it passes (left out: the type's default).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RolloutGateSpec
{
    public string? Type { get; init; }

    public double? Max { get; init; }
}

/// <summary>The gates a rollout can judge a canary by.</summary>
public static class RolloutGateTypes
{
    /// <summary>Canary's server-error ratio (5xx and transport failures) minus stable's.</summary>
    public const string ServerErrorRatio = "serverErrorRatio";

    /// <summary>Canary's client-error ratio (4xx) minus stable's: a canary refusing what stable accepts is broken.</summary>
    public const string ClientErrorRatio = "clientErrorRatio";

    /// <summary>Canary's median latency over stable's.</summary>
    public const string LatencyP50Ratio = "latencyP50Ratio";

    /// <summary>Canary's 99th-percentile latency over stable's.</summary>
    public const string LatencyP99Ratio = "latencyP99Ratio";

    /// <summary>
    /// The share of mirrored requests whose canary answer disagreed with stable's (outside tolerance,
    /// another arg-max, or another structure), over everything compared since the canary started. Needs
    /// <c>traffic.mirror</c> above 0; never a default gate, since without mirroring it can never judge.
    /// </summary>
    public const string Disagreement = "disagreement";

    public static IReadOnlyList<string> All { get; } = [ServerErrorRatio, ClientErrorRatio, LatencyP50Ratio, LatencyP99Ratio, Disagreement];
}

/// <summary>What a failed gate does to a rollout.</summary>
public static class RolloutFailureActions
{
    /// <summary>Traffic returns to stable and the canary is removed.</summary>
    public const string Rollback = "rollback";

    /// <summary>The canary keeps its weight and the rollout waits for an operator.</summary>
    public const string Pause = "pause";

    public static IReadOnlyList<string> All { get; } = [Rollback, Pause];
}
