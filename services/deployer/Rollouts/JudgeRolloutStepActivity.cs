using Dapr.Workflow;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Changes;
using ModelPlatform.Deployer.State;
using ModelPlatform.Deployer.Telemetry;

namespace ModelPlatform.Deployer.Rollouts;

/// <summary>
/// Looks at a step's window: reads the operator's intent from the deployment first (a pause or an
/// abort ends the run), then judges the window and records what it found in the status; the audit
/// trail gets the judgements that decide something (passed, failed) and the start of a wait for traffic.
/// </summary>
internal sealed partial class JudgeRolloutStepActivity(
    IDeploymentStore store, RolloutRecorder recorder, RolloutJudge judge, TimeProvider time, ILogger<JudgeRolloutStepActivity> logger)
    : WorkflowActivity<RolloutJudgeInput, RolloutStepOutcome>
{
    public override async Task<RolloutStepOutcome> RunAsync(WorkflowActivityContext context, RolloutJudgeInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (await store.GetAsync(input.Deployment, CancellationToken.None) is not { Record: var record })
        {
            return new RolloutStepOutcome(RolloutNext.Stop, "The deployment is gone.");
        }

        if (record.RolloutProgress is not { } progress || !progress.Allows(input.CanaryId, input.Run))
        {
            return new RolloutStepOutcome(RolloutNext.Stop, record.RolloutProgress?.Status.Reason ?? "The rollout no longer runs.");
        }

        if (record.CanaryId() != input.CanaryId)
        {
            await recorder.RecordAsync(input.Deployment, DeploymentChanges.RolloutActor, (current, now) =>
                current.RolloutProgress is { } owned && owned.Allows(input.CanaryId, input.Run) && current.CanaryId() != input.CanaryId
                    ? new RolloutChange(owned.With(RolloutStates.Superseded, "The canary was promoted, removed or replaced outside the rollout.", now), "The canary changed outside the rollout.")
                    : null, CancellationToken.None);
            return new RolloutStepOutcome(RolloutNext.Stop, "The canary changed outside the rollout.");
        }

        StepJudgement judgement;
        try
        {
            judgement = await judge.JudgeAsync(input.Deployment, input.Policy, time.GetUtcNow() - input.StepStarted, input.Baked, CancellationToken.None);
        }
        catch (TelemetryUnavailableException ex)
        {
            // No telemetry is no evidence either way: the step waits for it, and says so.
            LogTelemetryUnavailable(logger, ex, input.Deployment);
            await RecordAsync(input, RolloutStates.Running, $"Telemetry unavailable, waiting: {ex.Message}", null, null);
            return new RolloutStepOutcome(RolloutNext.Wait, ex.Message);
        }

        var step = $"Step {input.Step + 1} of {input.Policy.Steps.Count} (canary weight {input.Policy.Steps[input.Step]})";
        var (next, state, audited) = judgement.Verdict switch
        {
            StepVerdict.Passed => (RolloutNext.Passed, RolloutStates.Running, true),
            StepVerdict.Failed => (RolloutNext.Failed, RolloutStates.Running, true),
            StepVerdict.NotEnoughTraffic when input.Baked => (RolloutNext.Wait, RolloutStates.WaitingForTraffic, progress.Status.State != RolloutStates.WaitingForTraffic),
            _ => (RolloutNext.Wait, RolloutStates.Running, false),
        };
        var reason = $"{step}: {judgement.Reason}";
        var written = await RecordAsync(input, state, reason, judgement, audited ? reason : null);
        return written ? new RolloutStepOutcome(next, reason) : new RolloutStepOutcome(RolloutNext.Stop, "The rollout no longer runs.");
    }

    /// <summary>Writes the step's state and judgement while the run still owns the rollout; false when it no longer does (paused meanwhile).</summary>
    private async Task<bool> RecordAsync(RolloutJudgeInput input, string state, string reason, StepJudgement? judgement, string? auditReason)
    {
        var record = await recorder.RecordAsync(input.Deployment, DeploymentChanges.RolloutActor, (current, now) =>
            current.RolloutProgress is { } progress && progress.Allows(input.CanaryId, input.Run)
                ? new RolloutChange(progress with
                {
                    Status = progress.Status with
                    {
                        State = state,
                        Reason = reason,
                        Since = state == progress.Status.State ? progress.Status.Since : now,
                        Gates = judgement?.Gates ?? progress.Status.Gates,
                        Window = judgement?.Window ?? progress.Status.Window,
                    },
                }, auditReason, judgement?.Verdict == StepVerdict.Failed)
                : null, CancellationToken.None);
        return record?.RolloutProgress?.Allows(input.CanaryId, input.Run) == true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The rollout of {Deployment} could not read telemetry; the step waits")]
    private static partial void LogTelemetryUnavailable(ILogger logger, Exception exception, string deployment);
}
