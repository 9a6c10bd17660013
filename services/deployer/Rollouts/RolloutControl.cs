using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Changes;
using ModelPlatform.Deployer.Domain;

namespace ModelPlatform.Deployer.Rollouts;

/// <summary>
/// An operator's pause, resume and abort. Each is written into the deployment (with its audit
/// entry) before anything else happens, so it holds whatever the workflow was doing and across a
/// restart: a running workflow reads it at its next check and ends; a resume starts the next run.
/// </summary>
internal sealed class RolloutControl(RolloutRecorder recorder, RolloutLauncher launcher, DeploymentChanges changes)
{
    public async Task<ChangeResult> PauseAsync(string name, string actor, CancellationToken cancellationToken)
    {
        string? refused = null;
        var record = await recorder.RecordAsync(name, actor, (current, now) =>
        {
            refused = null;
            switch (current.RolloutProgress)
            {
                case { Status.State: RolloutStates.Running or RolloutStates.WaitingForTraffic } progress:
                    var reason = $"{actor} paused the rollout.";
                    return new RolloutChange(progress.With(RolloutStates.Paused, reason, now, actor), reason);
                case { Status.State: RolloutStates.Paused }:
                    return null;
                default:
                    refused = NotRunning(name, current);
                    return null;
            }
        }, cancellationToken);
        return Result(record, refused);
    }

    public async Task<ChangeResult> ResumeAsync(string name, string actor, CancellationToken cancellationToken)
    {
        string? refused = null;
        var record = await recorder.RecordAsync(name, actor, (current, now) =>
        {
            refused = null;
            if (current.RolloutProgress is not { Status.State: RolloutStates.Paused } progress)
            {
                refused = current.RolloutProgress is { InProgress: true } ? $"The rollout of '{name}' is not paused." : NotRunning(name, current);
                return null;
            }

            if (current.Rollout is null || current.CanaryId() != progress.CanaryId)
            {
                refused = $"Deployment '{name}' no longer has the canary and rollout policy this rollout was for.";
                return null;
            }

            var reason = $"{actor} resumed the rollout at step {progress.Status.Step + 1}.";
            return new RolloutChange(progress.With(RolloutStates.Running, reason, now) with { Run = progress.Run + 1 }, reason);
        }, cancellationToken);
        if (record is not null && refused is null)
        {
            await launcher.EnsureAsync(record, cancellationToken);
        }

        return Result(record, refused);
    }

    /// <summary>Rolls the canary back (the operators' rollback path) and ends the rollout as aborted.</summary>
    public async Task<ChangeResult> AbortAsync(string name, string actor, CancellationToken cancellationToken)
    {
        var record = await recorder.RecordAsync(name, actor, (_, _) => null, cancellationToken);
        if (record is null)
        {
            return new ChangeResult.NotFound();
        }

        if (record.RolloutProgress is not { InProgress: true } progress)
        {
            return new ChangeResult.Conflict(NotRunning(name, record));
        }

        var reason = $"{actor} aborted the rollout.";
        var result = await changes.RollBackRolloutAsync(name, progress.CanaryId, null, RolloutStates.Aborted, reason, actor, cancellationToken);
        if (result is ChangeResult.Started)
        {
            await recorder.RecordAsync(name, actor, (current, _) =>
                current.RolloutProgress is { } ended && ended.CanaryId == progress.CanaryId ? new RolloutChange(ended, reason, Failed: true) : null, cancellationToken);
        }

        return result;
    }

    private static ChangeResult Result(DeploymentRecord? record, string? refused) => record is null
        ? new ChangeResult.NotFound()
        : refused is not null ? new ChangeResult.Conflict(refused) : new ChangeResult.Unchanged(record);

    private static string NotRunning(string name, DeploymentRecord record) => record.RolloutProgress is { } last
        ? $"Deployment '{name}' has no rollout running; the last one is {last.Status.State}."
        : record.Rollout is null
            ? $"Deployment '{name}' has no rollout: it has no 'rollout' policy."
            : $"Deployment '{name}' has no rollout running: one starts when a canary is added and ready.";
}
