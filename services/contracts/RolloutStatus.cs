namespace ModelPlatform.Contracts;

/// <summary>
/// Where a deployment's rollout stands: its <see cref="State"/> (one of <see cref="RolloutStates"/>),
/// the step (0-based, of <see cref="Steps"/>) and the canary weight it set, each gate's last judgement,
/// the requests the step's window held, why it last moved and when, and who paused it.
/// </summary>
public sealed record RolloutStatus(
    string State,
    int Step,
    int Steps,
    int Weight,
    string Reason,
    DateTimeOffset Since,
    string? PausedBy,
    IReadOnlyList<RolloutGateStatus> Gates,
    RolloutWindowStatus? Window = null);

/// <summary>A gate's last judgement: the value measured over the step's window (null without data), its limit, and whether it passed (null: not judged).</summary>
public sealed record RolloutGateStatus(string Type, double? Measured, double Max, bool? Passed);

/// <summary>The step's window as last judged: its length, and the requests each variant served in it against the least required.</summary>
public sealed record RolloutWindowStatus(double Seconds, long CanaryRequests, long MinCanaryRequests, long StableRequests, long MinStableRequests);

/// <summary>The states of a rollout.</summary>
public static class RolloutStates
{
    /// <summary>A step is baking, or being judged.</summary>
    public const string Running = "running";

    /// <summary>The step's bake time is over but its window holds too few requests to judge.</summary>
    public const string WaitingForTraffic = "waiting-for-traffic";

    /// <summary>Stopped at its step by an operator or by a failed gate (<c>onFailure: pause</c>); resume goes on.</summary>
    public const string Paused = "paused";

    /// <summary>Every step passed and the canary was promoted.</summary>
    public const string Succeeded = "succeeded";

    /// <summary>A gate failed and the canary was removed.</summary>
    public const string RolledBack = "rolled-back";

    /// <summary>An operator aborted it and the canary was removed.</summary>
    public const string Aborted = "aborted";

    /// <summary>The canary was promoted, removed or replaced by someone else while it ran.</summary>
    public const string Superseded = "superseded";

    /// <summary>Whether a rollout in <paramref name="state"/> has ended.</summary>
    public static bool IsFinal(string state) => state is Succeeded or RolledBack or Aborted or Superseded;
}
