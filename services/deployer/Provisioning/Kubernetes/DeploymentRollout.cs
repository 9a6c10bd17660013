using k8s.Models;

namespace ModelPlatform.Deployer.Provisioning.Kubernetes;

/// <summary>Where a Deployment's rollout stands, read from its status as the controller reports it.</summary>
internal sealed record DeploymentRollout(bool Ready, string? Failure, string Progress)
{
    /// <summary>
    /// Ready when the controller has seen at least the generation we applied and every desired
    /// replica is updated and ready; failed when the controller says progress stopped
    /// (ProgressDeadlineExceeded) or it cannot create pods (ReplicaFailure).
    /// </summary>
    public static DeploymentRollout Of(V1Deployment? deployment, long appliedGeneration)
    {
        if (deployment is null)
        {
            return new(false, null, "the Deployment is not there yet");
        }

        var generation = deployment.Metadata.Generation ?? 0;
        var status = deployment.Status;
        var desired = deployment.Spec?.Replicas ?? 1;
        var conditions = status?.Conditions ?? [];

        // Conditions of a generation the controller has not seen yet describe the previous rollout.
        if (generation < appliedGeneration || (status?.ObservedGeneration ?? 0) < generation)
        {
            return new(false, null, "the controller has not observed the latest generation");
        }

        if (conditions.FirstOrDefault(c => c.Type == "Progressing" && c.Status == "False") is { } stalled)
        {
            return new(false, $"Deployment {deployment.Metadata.Name}: {stalled.Reason}: {stalled.Message}", "stalled");
        }

        if (conditions.FirstOrDefault(c => c.Type == "ReplicaFailure" && c.Status == "True") is { } failure)
        {
            return new(false, $"Deployment {deployment.Metadata.Name}: {failure.Reason}: {failure.Message}", "failing");
        }

        var updated = status?.UpdatedReplicas ?? 0;
        var ready = status?.ReadyReplicas ?? 0;
        return updated >= desired && ready >= desired
            ? new(true, null, $"{ready} of {desired} replicas ready")
            : new(false, null, $"{Math.Min(ready, updated)} of {desired} replicas updated and ready");
    }
}
