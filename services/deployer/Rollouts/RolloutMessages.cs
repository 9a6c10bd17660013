namespace ModelPlatform.Deployer.Rollouts;

/// <summary>
/// Input of <see cref="RolloutWorkflow"/>: which deployment and canary, which run (a resume starts
/// the next), the step it starts at, the policy, and how often it looks at the step's window.
/// </summary>
internal sealed record RolloutInput(string Deployment, string CanaryId, int Run, int FirstStep, RolloutPolicy Policy, TimeSpan CheckInterval);

/// <summary>How a rollout run ended: the state it left (see <see cref="Contracts.RolloutStates"/>) and why.</summary>
internal sealed record RolloutResult(string Deployment, string State, string Reason);

/// <summary>Starts step <paramref name="Step"/> of run <paramref name="Run"/>: sets the canary's weight and records the step.</summary>
internal sealed record RolloutStepInput(string Deployment, string CanaryId, int Run, int Step, int StepCount, int Weight);

/// <summary>Judges step <paramref name="Step"/> over the window since <paramref name="StepStarted"/>; <paramref name="Baked"/> once its bake time is over.</summary>
internal sealed record RolloutJudgeInput(
    string Deployment, string CanaryId, int Run, int Step, DateTimeOffset StepStarted, bool Baked, RolloutPolicy Policy);

/// <summary>Ends run <paramref name="Run"/>: <paramref name="Action"/> is one of <see cref="RolloutEndActions"/>.</summary>
internal sealed record RolloutEndInput(string Deployment, string CanaryId, int Run, string Action, string Reason);

/// <summary>What a step's activity tells the workflow: go on, or stop (the rollout is paused, aborted, superseded or gone) and why.</summary>
internal sealed record RolloutStepOutcome(string Next, string Reason);

/// <summary>The values of <see cref="RolloutStepOutcome.Next"/>.</summary>
internal static class RolloutNext
{
    /// <summary>The step goes on: look again after the check interval.</summary>
    public const string Wait = "wait";

    public const string Passed = "passed";

    public const string Failed = "failed";

    /// <summary>This run no longer owns the rollout: it ends without touching anything.</summary>
    public const string Stop = "stop";

    /// <summary>The step has started (its weight is set).</summary>
    public const string Started = "started";
}

/// <summary>How a run ends by itself.</summary>
internal static class RolloutEndActions
{
    public const string Promote = "promote";
    public const string Rollback = "rollback";
    public const string Pause = "pause";
}
