using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Changes;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Workflows;

namespace ModelPlatform.Deployer.Rollouts;

/// <summary>
/// Starts a rollout once a deployment with a <c>rollout</c> policy has a canary that is ready (its
/// revision applied and the canary routed), and makes sure the run a rollout's progress names has its
/// workflow: scheduling is idempotent per run, so calling this again (every sweep, after a restart,
/// after a resume) never starts a second one.
/// </summary>
internal sealed class RolloutLauncher(IWorkflowScheduler scheduler, RolloutRecorder recorder, IOptions<RolloutOptions> options)
{
    public static string InstanceId(DeploymentRecord record, RolloutProgress progress) =>
        $"{progress.CanaryId}-{record.Uid[..8]}-rollout-r{progress.Run}";

    public async Task EnsureAsync(DeploymentRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Deleting)
        {
            return;
        }

        if (IsReadyToStart(record))
        {
            record = await recorder.RecordAsync(record.Name, DeploymentChanges.RolloutActor, Start, cancellationToken) ?? record;
        }
        else if (record.RolloutProgress is { InProgress: true } orphan && orphan.CanaryId != record.CanaryId())
        {
            // Its canary was promoted, removed or replaced (and the new one is not ready yet).
            record = await recorder.RecordAsync(record.Name, DeploymentChanges.RolloutActor, (current, now) =>
                current.RolloutProgress is { InProgress: true } progress && progress.CanaryId != current.CanaryId()
                    ? new RolloutChange(progress.With(RolloutStates.Superseded, "The canary was promoted, removed or replaced outside the rollout.", now), "The canary changed outside the rollout.")
                    : null, cancellationToken) ?? record;
        }

        if (record.RolloutProgress is { } running && record.Rollout is { } spec && running.Allows(record.CanaryId() ?? string.Empty, running.Run))
        {
            var input = new RolloutInput(record.Name, running.CanaryId, running.Run, running.Status.Step, RolloutPolicy.From(spec), options.Value.CheckInterval);
            await scheduler.ScheduleAsync(nameof(RolloutWorkflow), InstanceId(record, running), input, cancellationToken);
        }
    }

    /// <summary>A canary that is ready and not rolled out yet (or again, after it was removed and added back).</summary>
    private static bool IsReadyToStart(DeploymentRecord record) =>
        record is { Rollout: not null, Failure: null } && record.CanaryId() is { } canaryId
        && record.ObservedGeneration == record.Generation
        && record.Routes.Any(route => route.ReplicaSet.Id == canaryId)
        && (record.RolloutProgress is not { } progress || progress.CanaryId != canaryId || !progress.InProgress);

    private static RolloutChange? Start(DeploymentRecord record, DateTimeOffset now)
    {
        if (!IsReadyToStart(record))
        {
            return null;
        }

        var policy = RolloutPolicy.From(record.Rollout!);
        var gates = policy.Gates.Select(gate => new RolloutGateStatus(gate.Type, null, gate.Max, null)).ToList();
        var reason = $"The canary is ready: rollout starts at weight {policy.Steps[0]} (steps {string.Join(", ", policy.Steps)}, then promote; " +
            $"bake {policy.Bake.TotalSeconds:0} s, at least {policy.MinCanaryRequests} canary and {policy.MinStableRequests} stable requests per step; " +
            $"gates {string.Join(", ", policy.Gates.Select(gate => $"{gate.Type} <= {gate.Max}"))}; on failure {policy.OnFailure}).";
        var status = new RolloutStatus(RolloutStates.Running, 0, policy.Steps.Count, record.CanaryWeight, reason, now, null, gates);
        return new RolloutChange(new RolloutProgress(record.CanaryId()!, (record.RolloutProgress?.Run ?? 0) + 1, status), reason);
    }
}
