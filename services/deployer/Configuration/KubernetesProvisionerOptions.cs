using System.ComponentModel.DataAnnotations;

namespace ModelPlatform.Deployer.Configuration;

/// <summary>
/// Settings of the Kubernetes provisioner, under <c>Deployer:Kubernetes</c>. The connection itself
/// comes from <c>KUBECONFIG</c>, the default kubeconfig, or the pod's service account.
/// </summary>
public sealed class KubernetesProvisionerOptions
{
    /// <summary>The reference server's ShutdownDelay (5 s) plus DrainTimeout (30 s), plus one.</summary>
    public const int MinTerminationGracePeriodSeconds = 36;

    /// <summary>Where every object of every deployment goes.</summary>
    [Required]
    [RegularExpression("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", ErrorMessage = "Namespace must be a DNS-1123 label.")]
    [StringLength(63)]
    public string Namespace { get; set; } = "models";

    /// <summary>The reference runtime's image, run for <c>model</c> variants; without it those are refused.</summary>
    public string? ReferenceImage { get; set; }

    /// <summary>The PersistentVolumeClaim holding model files, mounted read-only at <see cref="ModelMountPath"/>.</summary>
    public string? ModelVolumeClaim { get; set; }

    /// <summary>
    /// The deployer's address as model pods reach it (its Service, e.g.
    /// <c>http://deployer.model-platform.svc.cluster.local</c>): replicas of a stored model
    /// (<c>models:/</c>, or a fetched <c>https://</c> URI) download it from
    /// <c>{ModelStoreUrl}/v1/models/blobs/sha256:{hex}</c>. Unset, those URIs are refused on Kubernetes.
    /// </summary>
    public Uri? ModelStoreUrl { get; set; }

    /// <summary>The Secret (in <see cref="Namespace"/>) the deployer keeps its model-fetch token in, for replicas of stored models to read.</summary>
    [Required]
    [RegularExpression("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", ErrorMessage = "ModelFetchSecret must be a DNS-1123 label.")]
    [StringLength(63)]
    public string ModelFetchSecret { get; set; } = "model-fetch-token";

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

    /// <summary>
    /// The kubelet's patience with a stopping pod before SIGKILL. The reference server reports
    /// not-ready for 5 s (ShutdownDelay) and then drains for up to 30 s (DrainTimeout); anything not
    /// above their sum cuts the drain short.
    /// </summary>
    [Range(MinTerminationGracePeriodSeconds, 3600, ErrorMessage = "TerminationGracePeriodSeconds must be between {1} and {2}: the reference server needs its ShutdownDelay (5 s) plus DrainTimeout (30 s) and a margin after SIGTERM.")]
    public int TerminationGracePeriodSeconds { get; set; } = 45;

    /// <summary>
    /// The Deployment's progressDeadlineSeconds: a rollout without progress this long is reported
    /// failed (ProgressDeadlineExceeded). Unset, 90% of <see cref="DeployerOptions.ReadyTimeout"/>, so
    /// that the controller's verdict arrives before the readiness wait gives up; set, it must be shorter
    /// than ReadyTimeout.
    /// </summary>
    [Range(10, 3600)]
    public int? ProgressDeadlineSeconds { get; set; }

    /// <summary>
    /// How long a container may take to start (load its model) before the kubelet restarts it: the
    /// startupProbe's periods times its failure threshold. Unset, the progress deadline.
    /// </summary>
    [Range(10, 7200)]
    public int? StartupTimeoutSeconds { get; set; }

    /// <summary>
    /// How long every pod of a rollout that is not ready may be stuck (unschedulable, or unable to pull
    /// its image) before the readiness wait fails with their reason instead of waiting out ReadyTimeout.
    /// Long enough for a cluster autoscaler to add a node.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan StuckPodTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The installation id the objects are labelled and selected with. Unset, the id kept in the
    /// deployer's own store (made on first start). Set it only to adopt the objects of an installation
    /// whose store was lost: a deployer on an empty store otherwise never touches them.
    /// </summary>
    [RegularExpression("^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", ErrorMessage = "InstallationId must be a Kubernetes label value: up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.")]
    public string? InstallationId { get; set; }

    /// <summary>
    /// How long the first list of Deployments and pods may take before the deployer gives up starting:
    /// without it, the startup reconciler could take an empty view for the cluster.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:30:00")]
    public TimeSpan InitialSyncTimeout { get; set; } = TimeSpan.FromMinutes(2);

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
