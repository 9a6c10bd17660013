using System.ComponentModel.DataAnnotations;

namespace ModelPlatform.Deployer.Configuration;

/// <summary>Settings of the control plane, under the <c>Deployer</c> section.</summary>
public sealed class DeployerOptions
{
    public const string Section = "Deployer";

    /// <summary>
    /// Where state and workflows live: <c>Embedded</c> (SQLite and the in-process workflow host,
    /// nothing to install) or <c>Dapr</c> (the sidecar's state store and Dapr Workflow, on a cluster).
    /// </summary>
    public RuntimeKind Runtime { get; set; } = RuntimeKind.Embedded;

    /// <summary>Settings of the Dapr runtime, read when <see cref="Runtime"/> is <c>Dapr</c>.</summary>
    public DaprRuntimeOptions Dapr { get; set; } = new();

    /// <summary>Where the embedded runtime keeps its SQLite database and replica logs.</summary>
    [Required]
    public string DataDirectory { get; set; } = ".data/deployer";

    /// <summary>The gateway's public base URL; a deployment's URL is this plus <c>/v2/models/{name}</c>.</summary>
    [Required]
    [Url]
    public string PublicUrl { get; set; } = "http://127.0.0.1:5000";

    /// <summary>
    /// Folders a <c>model.uri</c> must resolve into (after <c>..</c> and symbolic links); the
    /// reference server's bundled models folder is always one.
    /// </summary>
    public List<string> ModelRoots { get; set; } = [];

    /// <summary>
    /// The URI schemes <c>model.uri</c> may use; empty means <c>file</c> (plain paths count as
    /// <c>file</c>). Checked on start against the schemes a runtime can load.
    /// </summary>
    public List<string> ModelUriSchemes { get; set; } = [];

    /// <summary>
    /// Registries (optionally with a repository prefix: <c>ghcr.io/acme</c>) that <c>image</c>
    /// variants may come from; empty allows any.
    /// </summary>
    public List<string> AllowedRegistries { get; set; } = [];

    /// <summary>How many deployments may exist at once, those still being deleted included.</summary>
    [Range(1, 100_000)]
    public int MaxDeployments { get; set; } = 100;

    /// <summary>Which provisioner runs replicas: <c>Processes</c> (embedded, the default) or <c>Kubernetes</c>.</summary>
    public ProvisionerKind Provisioner { get; set; } = ProvisionerKind.Processes;

    [Range(0, 1000)]
    public int MaxReplicas { get; set; } = 10;

    [Range(0, 64)]
    public int MaxGpus { get; set; } = 8;

    /// <summary>How long a variant may take to become ready before its deployment fails.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Replica starts that fail in a row, without ever becoming ready, before a deploy gives up.</summary>
    [Range(1, 100)]
    public int MaxFailedStarts { get; set; } = 3;

    /// <summary>How long <c>GET /v1/routes?watch=true</c> holds a request before answering unchanged.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan WatchTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest request body the API reads, in bytes; larger ones get 413.</summary>
    [Range(typeof(long), "1024", "67108864")]
    public long MaxRequestBodySize { get; set; } = 1024 * 1024;

    /// <summary>
    /// How often every deployment with a revision not applied yet (or a delete not finished) and no
    /// workflow running is handed to the coordinator again: the safety net under its own retries.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a store write waits for another writer's lock before its request fails with 503.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan StoreBusyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public AuthOptions Auth { get; set; } = new();

    /// <summary>The model store: where uploaded model files are kept and how large they may be.</summary>
    public ModelStoreOptions Models { get; set; } = new();

    public RateLimitOptions RateLimit { get; set; } = new();

    public ProcessProvisionerOptions Processes { get; set; } = new();

    public KubernetesProvisionerOptions Kubernetes { get; set; } = new();
}

/// <summary>The runtimes the deployer's state and workflows can live in.</summary>
public enum RuntimeKind
{
    /// <summary>A SQLite file and the in-process workflow host: one machine, nothing to install.</summary>
    Embedded,

    /// <summary>A Dapr state store and Dapr Workflow, both through the Dapr sidecar.</summary>
    Dapr,
}

/// <summary>The replica provisioners.</summary>
public enum ProvisionerKind
{
    /// <summary>Each replica is a local child process of the deployer.</summary>
    Processes,

    /// <summary>Each variant is a Kubernetes Deployment with a ClusterIP Service.</summary>
    Kubernetes,
}

/// <summary>Settings of the local-process provisioner.</summary>
public sealed class ProcessProvisionerOptions
{
    /// <summary>The reference server's entry assembly; defaults to the one built beside the deployer.</summary>
    public string? InferenceServerPath { get; set; }

    /// <summary>How often a replica's readiness is probed once it is up.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often it is probed while starting, so a fresh replica is seen ready quickly.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan StartupProbeInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>First delay before restarting a crashed replica; it doubles up to <see cref="MaxRestartDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RestartDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxRestartDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a stopping replica gets to drain after SIGTERM before it is killed.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
