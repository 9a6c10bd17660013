using System.ComponentModel.DataAnnotations;

namespace ModelPlatform.Deployer.Configuration;

/// <summary>
/// Settings of the Kubernetes provisioner, under <c>Deployer:Kubernetes</c>. The connection itself
/// comes from <c>KUBECONFIG</c>, the default kubeconfig, or the pod's service account.
/// </summary>
public sealed class KubernetesProvisionerOptions
{
    /// <summary>Where every object of every deployment goes.</summary>
    [Required]
    [RegularExpression("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", ErrorMessage = "Namespace must be a DNS-1123 label.")]
    [StringLength(63)]
    public string Namespace { get; set; } = "models";

    /// <summary>The reference runtime's image, run for <c>model</c> variants; without it those are refused.</summary>
    public string? ReferenceImage { get; set; }

    /// <summary>The PersistentVolumeClaim holding model files, mounted read-only at <see cref="ModelMountPath"/>.</summary>
    public string? ModelVolumeClaim { get; set; }

    /// <summary>Where model files appear in a replica; a <c>model.uri</c> must lie under it.</summary>
    [Required]
    [RegularExpression("^/.*", ErrorMessage = "ModelMountPath must be an absolute path.")]
    public string ModelMountPath { get; set; } = "/models";

    /// <summary>The port every model container listens on (its <c>PORT</c>) and its Service exposes.</summary>
    [Range(1, 65535)]
    public int ContainerPort { get; set; } = 8080;

    /// <summary>The cluster's DNS domain, for the Service addresses in the route table.</summary>
    [Required]
    public string ClusterDomain { get; set; } = "cluster.local";

    /// <summary>Added to the pods of variants that ask for GPUs, e.g. <c>nvidia.com/gpu.present: "true"</c>.</summary>
    public Dictionary<string, string> GpuNodeSelector { get; set; } = [];

    /// <summary>Taints on GPU nodes that pods asking for GPUs tolerate (effect NoSchedule, operator Exists).</summary>
    public List<string> GpuTolerations { get; set; } = ["nvidia.com/gpu"];

    /// <summary>The user id containers run as (the pods also demand a non-root user).</summary>
    [Range(1, int.MaxValue)]
    public long RunAsUser { get; set; } = 1000;

    /// <summary>Read-only root filesystem, with a writable emptyDir at <c>/tmp</c>; off for images that write elsewhere.</summary>
    public bool ReadOnlyRootFilesystem { get; set; } = true;

    /// <summary>How long a stopping pod gets to drain in-flight requests after SIGTERM.</summary>
    [Range(0, 3600)]
    public int TerminationGracePeriodSeconds { get; set; } = 30;

    /// <summary>The Deployment's progressDeadlineSeconds: a rollout stuck this long fails.</summary>
    [Range(10, 3600)]
    public int ProgressDeadlineSeconds { get; set; } = 600;

    /// <summary>The CPU utilization (percent of the request) autoscaled variants aim for.</summary>
    [Range(1, 100)]
    public int TargetCpuUtilization { get; set; } = 80;

    /// <summary>Server-side watches are asked to end after this long; the provisioner then watches again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan WatchTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>First delay before watching again after an error; it doubles up to <see cref="MaxWatchBackoff"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan WatchBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan MaxWatchBackoff { get; set; } = TimeSpan.FromSeconds(30);
}
