using Dapr.Workflow;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Changes;

namespace ModelPlatform.Deployer.Rollouts;

/// <summary>Ends a run: promotes the canary (the operators' promote path), rolls it back (their rollback path), or pauses; and records the outcome with its reason.</summary>
internal sealed class EndRolloutActivity(DeploymentChanges changes, RolloutRecorder recorder) : WorkflowActivity<RolloutEndInput, bool>
{
    public override async Task<bool> RunAsync(WorkflowActivityContext context, RolloutEndInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        const string Actor = DeploymentChanges.RolloutActor;
        switch (input.Action)
        {
            case RolloutEndActions.Promote:
                if (await changes.PromoteForRolloutAsync(input.Deployment, input.CanaryId, input.Run, input.Reason, CancellationToken.None) is ChangeResult.Started)
                {
                    await RecordOutcomeAsync(input, $"Rollout succeeded: {input.Reason}", failed: false);
                }

                return true;
            case RolloutEndActions.Rollback:
                var reason = $"Rolled back: {input.Reason}";
                if (await changes.RollBackRolloutAsync(input.Deployment, input.CanaryId, input.Run, RolloutStates.RolledBack, reason, Actor, CancellationToken.None)
                    is ChangeResult.Started)
                {
                    await RecordOutcomeAsync(input, reason, failed: true);
                }

                return true;
            default:
                await recorder.RecordAsync(input.Deployment, Actor, (record, now) =>
                    record.RolloutProgress is { } progress && progress.Allows(input.CanaryId, input.Run)
                        ? new RolloutChange(progress.With(RolloutStates.Paused, $"Paused on a failed gate: {input.Reason}", now, Actor), $"Paused: {input.Reason}", Failed: true)
                        : null, CancellationToken.None);
                return true;
        }
    }

    private Task<Domain.DeploymentRecord?> RecordOutcomeAsync(RolloutEndInput input, string reason, bool failed) =>
        recorder.RecordAsync(input.Deployment, DeploymentChanges.RolloutActor, (record, _) =>
            record.RolloutProgress is { } progress && progress.CanaryId == input.CanaryId ? new RolloutChange(progress, reason, failed) : null, CancellationToken.None);
}
