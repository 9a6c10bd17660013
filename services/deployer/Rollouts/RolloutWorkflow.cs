using Dapr.Workflow;
using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Rollouts;

/// <summary>
/// Walks a canary through its weight steps. Each step sets the weight (a revision, as an operator's
/// traffic change is), then looks at the step's window every check interval on a durable timer:
/// a failed gate ends the run at once (rollback or pause, as the policy says); passing gates end the
/// step once its bake time is over; too little traffic keeps it waiting. After the last step the
/// canary is promoted. Every decision comes from an activity's journaled result, so a deployer that
/// restarts replays the journal and goes on at the same step. An operator's pause or abort is
/// written in the deployment, not sent to the workflow: the next check reads it and the run ends
/// (a resume starts the next run at the paused step), so nothing of it lives only in memory.
/// </summary>
internal sealed class RolloutWorkflow : Workflow<RolloutInput, RolloutResult>
{
    public override async Task<RolloutResult> RunAsync(WorkflowContext context, RolloutInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var policy = input.Policy;
        for (var step = input.FirstStep; step < policy.Steps.Count; step++)
        {
            var started = await context.CallActivityAsync<RolloutStepOutcome>(nameof(BeginRolloutStepActivity),
                new RolloutStepInput(input.Deployment, input.CanaryId, input.Run, step, policy.Steps.Count, policy.Steps[step]));
            if (started.Next == RolloutNext.Stop)
            {
                return new RolloutResult(input.Deployment, RolloutStates.Paused, started.Reason);
            }

            var stepStarted = context.CurrentUtcDateTime;
            var bakeEnds = stepStarted + policy.Bake;
            while (true)
            {
                var now = context.CurrentUtcDateTime;
                var next = now + input.CheckInterval;
                await context.CreateTimer(now < bakeEnds && bakeEnds < next ? bakeEnds : next, CancellationToken.None);
                var judged = await context.CallActivityAsync<RolloutStepOutcome>(nameof(JudgeRolloutStepActivity), new RolloutJudgeInput(
                    input.Deployment, input.CanaryId, input.Run, step, new DateTimeOffset(stepStarted, TimeSpan.Zero), context.CurrentUtcDateTime >= bakeEnds, policy));
                switch (judged.Next)
                {
                    case RolloutNext.Stop:
                        return new RolloutResult(input.Deployment, RolloutStates.Paused, judged.Reason);
                    case RolloutNext.Failed:
                        var action = policy.OnFailure == RolloutFailureActions.Pause ? RolloutEndActions.Pause : RolloutEndActions.Rollback;
                        await EndAsync(context, input, action, judged.Reason);
                        return new RolloutResult(input.Deployment, action == RolloutEndActions.Pause ? RolloutStates.Paused : RolloutStates.RolledBack, judged.Reason);
                    case RolloutNext.Passed:
                        break;
                    default:
                        continue;
                }

                break;
            }
        }

        const string Promoted = "Every step passed; the canary was promoted.";
        await EndAsync(context, input, RolloutEndActions.Promote, Promoted);
        return new RolloutResult(input.Deployment, RolloutStates.Succeeded, Promoted);
    }

    private static Task<bool> EndAsync(WorkflowContext context, RolloutInput input, string action, string reason) =>
        context.CallActivityAsync<bool>(nameof(EndRolloutActivity), new RolloutEndInput(input.Deployment, input.CanaryId, input.Run, action, reason));
}
