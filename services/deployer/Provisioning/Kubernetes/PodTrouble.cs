using k8s.Models;

namespace ModelPlatform.Deployer.Provisioning.Kubernetes;

/// <summary>
/// Why a pod cannot start on its own, and since when: it cannot be scheduled (PodScheduled=False,
/// e.g. "0/5 nodes are available: 5 Insufficient nvidia.com/gpu"), or its container waits on an image
/// it cannot pull or a configuration it cannot build. Such a pod has no container that ever ran, so
/// its container statuses alone say nothing useful.
/// </summary>
internal sealed record PodTrouble(string Reason, DateTime Since)
{
    /// <summary>Waiting reasons the kubelet keeps retrying but that need someone to change something.</summary>
    private static readonly HashSet<string> StuckWaitingReasons = new(StringComparer.Ordinal)
    {
        "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError",
    };

    public static PodTrouble? Of(V1Pod pod)
    {
        var created = pod.Metadata.CreationTimestamp ?? DateTime.UtcNow;
        if (pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "False") is { } unscheduled)
        {
            return new($"{unscheduled.Reason ?? "Unschedulable"}: {unscheduled.Message}", unscheduled.LastTransitionTime ?? created);
        }

        var waiting = (pod.Status?.ContainerStatuses ?? []).Select(c => c.State?.Waiting)
            .FirstOrDefault(w => w?.Reason is { } reason && StuckWaitingReasons.Contains(reason));
        return waiting is null ? null : new($"{waiting.Reason}: {waiting.Message}", pod.Status?.StartTime ?? created);
    }
}
