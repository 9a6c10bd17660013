using Dapr.Workflow;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Changes;

namespace ModelPlatform.Deployer.Rollouts;

/// <summary>Sets the canary's weight for a step (through the operators' traffic path) and records the step; stops when the run no longer owns the rollout.</summary>
internal sealed class BeginRolloutStepActivity(DeploymentChanges changes, RolloutRecorder recorder) : WorkflowActivity<RolloutStepInput, RolloutStepOutcome>
{
    public override async Task<RolloutStepOutcome> RunAsync(WorkflowActivityContext context, RolloutStepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var weighted = await changes.SetRolloutWeightAsync(input.Deployment, input.CanaryId, input.Run, input.Weight, CancellationToken.None);
        if (weighted is ChangeResult.Conflict or ChangeResult.NotFound)
        {
            return new RolloutStepOutcome(RolloutNext.Stop, "The rollout no longer runs.");
        }

        var reason = $"Step {input.Step + 1} of {input.StepCount}: canary weight {input.Weight}.";
        var record = await recorder.RecordAsync(input.Deployment, DeploymentChanges.RolloutActor, (record, now) =>
            record.RolloutProgress is { } progress && progress.Allows(input.CanaryId, input.Run)
                ? new RolloutChange(progress with
                {
                    Status = progress.Status with
                    {
                        State = RolloutStates.Running,
                        Step = input.Step,
                        Steps = input.StepCount,
                        Weight = input.Weight,
                        Reason = reason,
                        Since = now,
                        Gates = [.. progress.Status.Gates.Select(gate => gate with { Measured = null, Passed = null })],
                        Window = null,
                    },
                }, reason)
                : null, CancellationToken.None);
        return record?.RolloutProgress?.Allows(input.CanaryId, input.Run) == true
            ? new RolloutStepOutcome(RolloutNext.Started, reason)
            : new RolloutStepOutcome(RolloutNext.Stop, "The rollout no longer runs.");
    }
}
