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

    /// <summary>Keep a client on the replica (and so the variant) it first reached, by cookie.</summary>
    public bool StickySessions { get; set; }
}

/// <summary>Where the deployer is and how to authenticate to it: <c>Deployer:Url</c>, <c>Deployer:Token</c> or <c>Deployer:TokenFile</c>.</summary>
public sealed class DeployerConnectionOptions : IValidatableObject
{
    public const string Section = "Deployer";

    [Required]
    [Url]
    public string Url { get; set; } = "http://127.0.0.1:5100";


    /// <summary>First delay before reconnecting to a deployer that does not answer; doubles up to <see cref="MaxReconnectDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longer than the deployer's watch timeout, so a long poll ends on the deployer's side.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan WatchRequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The API token the route table is read with (the reader role is enough).</summary>
    public string? Token { get; set; }

    /// <summary>A file holding that token instead (a mounted Kubernetes Secret, the quickstart's admin-token file).</summary>
    public string? TokenFile { get; set; }

    /// <summary>The token, from <see cref="Token"/> or <see cref="TokenFile"/>.</summary>
    public string ReadToken() => Token is { Length: > 0 } token ? token : Contracts.BearerTokens.ReadFile(TokenFile!);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrEmpty(Token) == string.IsNullOrEmpty(TokenFile))
        {
            yield return new ValidationResult(
                "The deployer requires an API token: set exactly one of Deployer:Token and Deployer:TokenFile.", [nameof(Token), nameof(TokenFile)]);
        }
        else if (TokenFile is { Length: > 0 } file && !File.Exists(file))
        {
            yield return new ValidationResult($"Deployer:TokenFile '{file}' does not exist.", [nameof(TokenFile)]);
        }
    }
}
