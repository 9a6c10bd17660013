using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Rollouts;

/// <summary>
/// A deployment's rollout as stored with it: which canary it rolls out (its replica set), which run
/// of its workflow owns it (every resume starts a new run, and a run that is no longer the current
/// one stops at its next check), and the status the API shows. The operator's pause or abort is
/// written here, so it holds across a restart of the deployer whatever its workflow was doing.
/// </summary>
internal sealed record RolloutProgress(string CanaryId, int Run, RolloutStatus Status)
{
    /// <summary>Whether the workflow run <paramref name="run"/> for <paramref name="canaryId"/> may go on: it is current and the rollout is neither paused nor over.</summary>
    public bool Allows(string canaryId, int run) =>
        CanaryId == canaryId && Run == run && Status.State is RolloutStates.Running or RolloutStates.WaitingForTraffic;

    /// <summary>Whether the rollout is under way: running, waiting for traffic, or paused.</summary>
    public bool InProgress => !RolloutStates.IsFinal(Status.State);

    public RolloutProgress With(string state, string reason, DateTimeOffset now, string? pausedBy = null) =>
        this with { Status = Status with { State = state, Reason = reason, Since = now, PausedBy = pausedBy } };
}
