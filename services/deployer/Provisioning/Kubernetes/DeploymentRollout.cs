using k8s.Models;

namespace ModelPlatform.Deployer.Provisioning.Kubernetes;

/// <summary>Where a Deployment's rollout stands, read from its status as the controller reports it.</summary>
internal sealed record DeploymentRollout(bool Ready, string? Failure, string Progress)
{
    /// <summary>
    /// Done by the test <c>kubectl rollout status</c> makes (kubectl's DeploymentStatusViewer): the
    /// controller has seen the generation we applied, every desired replica is updated, no old replica
    /// is left (status.replicas counts the old ReplicaSets' pods too, so do ready and available), and
    /// every updated replica is available. Failed when the controller says progress stopped
    /// (ProgressDeadlineExceeded) or it cannot create pods (ReplicaFailure).
    /// </summary>
    /// <param name="deployment">The Deployment as last watched, or null.</param>
    /// <param name="appliedGeneration">The generation our last apply produced.</param>
    /// <param name="minReplicas">
    /// An autoscaled set's minReplicas: the API defaults an omitted spec.replicas to 1 and the autoscaler
    /// raises it only at its next sync, so the spec alone would call the set ready too early.
    /// </param>
    public static DeploymentRollout Of(V1Deployment? deployment, long appliedGeneration, int? minReplicas = null)
    {
        if (deployment is null)
        {
            return new(false, null, "the Deployment is not there yet");
        }

        var generation = deployment.Metadata.Generation ?? 0;
        var status = deployment.Status;
        var desired = Math.Max(deployment.Spec?.Replicas ?? 1, minReplicas ?? 0);
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
        var total = status?.Replicas ?? 0;
        var available = status?.AvailableReplicas ?? 0;
        if (updated < desired)
        {
            return new(false, null, $"{updated} of {desired} replicas updated");
        }

        if (total > updated)
        {
            return new(false, null, $"{total - updated} old replicas are pending termination");
        }

        return available < updated
            ? new(false, null, $"{available} of {updated} updated replicas available")
            : new(true, null, $"{available} of {desired} replicas available");
    }
}
