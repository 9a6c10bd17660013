using System.ComponentModel.DataAnnotations;

namespace ModelPlatform.SampleInference.Configuration;

/// <summary>
/// Settings of the reference model server. The container contract's variables (<c>PORT</c>,
/// <c>MODEL_NAME</c>, <c>MODEL_URI</c>) map onto <see cref="Port"/>, <see cref="ModelName"/> and
/// <see cref="ModelUri"/>; everything else is under the <c>Inference</c> section
/// (for example <c>Inference__IntraOpThreads=4</c>).
/// </summary>
public sealed class InferenceServerOptions
{
    public const string Section = "Inference";

    /// <summary>The model served when <c>MODEL_URI</c> is not set: the bundled ResNet18.</summary>
    public const string BundledModelName = "resnet18";

    [Range(1, 65535)]
    public int Port { get; set; } = 8080;

    /// <summary>
    /// Port of the Open Inference Protocol over gRPC (HTTP/2 without TLS), from the contract's
    /// <c>GRPC_PORT</c>; 0, the default, serves no gRPC. A port of its own because a cleartext
    /// port cannot take both HTTP/1.1 and HTTP/2 clients that do not negotiate; off by default
    /// because replicas run as processes on one machine would all want the same one. The container
    /// image sets 8081, KServe's.
    /// </summary>
    [Range(0, 65535)]
    public int GrpcPort { get; set; }

    /// <summary>
    /// Address to listen on: loopback by default, for a server run by hand; the container image sets
    /// <c>0.0.0.0</c>, as a container's traffic does not arrive on loopback.
    /// </summary>
    [Required]
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>Name the model is served under; defaults to the file name without extension.</summary>
    public string? ModelName { get; set; }

    /// <summary>
    /// A file path or <c>file://</c> URI of an <c>.onnx</c> file, or an <c>http(s)://</c> URL it is
    /// downloaded from before loading (then <see cref="ModelSha256"/> is required); defaults to the bundled ResNet18.
    /// </summary>
    public string? ModelUri { get; set; }

    /// <summary>The SHA-256 (hex) a downloaded model must have, from <c>MODEL_SHA256</c>: a file with another is not loaded.</summary>
    public string? ModelSha256 { get; set; }

    /// <summary>A bearer token sent with the download of an <c>http(s)</c> <see cref="ModelUri"/>, from <c>MODEL_TOKEN</c>.</summary>
    public string? ModelToken { get; set; }

    /// <summary>How often a download that failed for a passing reason (no connection, 5xx, 408, 429) is tried again.</summary>
    [Range(0, 100)]
    public int ModelDownloadRetries { get; set; } = 5;

    /// <summary>The wait before the first retry of a download; it doubles (with jitter) for each one after.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ModelDownloadRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the download may take, retries included.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ModelDownloadTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The version reported in model metadata and accepted in <c>/versions/{v}</c> paths.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9._-]{1,64}$", ErrorMessage = "ModelVersion must be 1-64 letters, digits, '.', '_' or '-'.")]
    public string ModelVersion { get; set; } = "1";

    /// <summary>Threads ONNX Runtime uses inside one operator; 0 lets it choose (one per core).</summary>
    [Range(0, 1024)]
    public int IntraOpThreads { get; set; }

    /// <summary>Threads ONNX Runtime uses across independent operators; 0 lets it choose.</summary>
    [Range(0, 1024)]
    public int InterOpThreads { get; set; }

    /// <summary>Let ONNX Runtime's pool threads spin while idle: lower latency alone, less CPU left for HTTP.</summary>
    public bool AllowSpinning { get; set; }

    public ExecutionProviderPreference ExecutionProvider { get; set; } = ExecutionProviderPreference.Auto;

    [Range(0, 64)]
    public int CudaDeviceId { get; set; }

    /// <summary>Largest request body accepted; larger bodies get 413.</summary>
    [Range(1024, 2_000_000_000)]
    public long MaxRequestBodyBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Smallest inference answer compressed for a client whose <c>Accept-Encoding</c> allows it;
    /// smaller ones are not worth the CPU.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int ResponseCompressionMinBytes { get; set; } = 1024;

    /// <summary>Largest total size of a request's headers; larger ones get 431.</summary>
    [Range(1024, 1024 * 1024)]
    public int MaxRequestHeadersTotalBytes { get; set; } = 32 * 1024;

    /// <summary>Most headers a request may carry; more get 431.</summary>
    [Range(8, 1000)]
    public int MaxRequestHeaderCount { get; set; } = 100;

    /// <summary>
    /// After SIGTERM the server reports not-ready yet keeps serving for this long, so that load
    /// balancers stop sending before it stops accepting. Kubernetes deployments use a few seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ShutdownDelay { get; set; } = TimeSpan.Zero;

    /// <summary>How long in-flight requests may take to finish once the server stops accepting.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Most inferences run at once; more wait in a queue of <see cref="MaxQueuedInferences"/>. ONNX
    /// Runtime already spreads one run over the cores, so more at once only adds memory and latency.
    /// </summary>
    [Range(1, 1024)]
    public int MaxConcurrentInferences { get; set; } = Environment.ProcessorCount;

    /// <summary>Most inferences waiting for a turn; beyond them the server answers busy (429, RESOURCE_EXHAUSTED).</summary>
    [Range(0, 100_000)]
    public int MaxQueuedInferences { get; set; } = 128;

    /// <summary>Run one inference on zeros before reporting ready, so the first request is not slow.</summary>
    public bool WarmUp { get; set; } = true;
}
