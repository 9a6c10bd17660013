using System.ComponentModel.DataAnnotations;

namespace ModelPlatform.Gateway.Configuration;

/// <summary>Settings of the data plane, under the <c>Gateway</c> section (and <c>Deployer:Url</c>).</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Largest request body forwarded to a model; larger ones get 413.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest total size of a request's headers; larger ones get 431.</summary>
    [Range(1024, 1024 * 1024)]
    public int MaxRequestHeadersTotalBytes { get; set; } = 32 * 1024;

    /// <summary>Most headers a request may carry; more get 431.</summary>
    [Range(8, 1000)]
    public int MaxRequestHeaderCount { get; set; } = 100;

    /// <summary>How long a model may take to answer before the gateway gives up (504).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>How often each replica's <c>/v2/health/ready</c> is probed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ActiveHealthInterval { get; set; } = TimeSpan.FromSeconds(2);

    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ActiveHealthTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a replica that failed requests stays out of rotation before it is tried again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PassiveReactivationPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Failed requests in a row (transport errors or 5xx) that take a replica out of rotation.</summary>
    [Range(1, 100)]
    public int PassiveFailureThreshold { get; set; } = 1;

    /// <summary>Tries per request when a replica refuses the connection (1 turns retries off).</summary>
    [Range(1, 10)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>
    /// Port of the gateway's gRPC endpoint (cleartext HTTP/2 only, beside the REST addresses); 0 opens
    /// none. A port of its own because cleartext HTTP/2 cannot share a port with HTTP/1.1.
    /// </summary>
    [Range(0, 65535)]
    public int GrpcPort { get; set; }

    /// <summary>
    /// Port that alone serves <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> (HTTP/1.1, beside the
    /// REST addresses), to be kept off the public Service; 0, the default, serves them on every port.
    /// <c>/metrics</c> says which models take how much traffic and how they fail: not for end users.
    /// </summary>
    [Range(0, 65535)]
    public int ManagementPort { get; set; }

    /// <summary>Keep a client on the replica (and so the variant) it first reached, by cookie.</summary>
    public bool StickySessions { get; set; }
}
