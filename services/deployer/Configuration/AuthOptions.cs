using System.ComponentModel.DataAnnotations;

namespace ModelPlatform.Deployer.Configuration;

/// <summary>Who may call <c>/v1</c>, under <c>Deployer:Auth</c>.</summary>
public sealed class AuthOptions
{
    /// <summary>
    /// The accepted tokens, as SHA-256 hashes. When none are configured the deployer makes an admin
    /// token on first run and keeps it in its data directory (the embedded quickstart).
    /// </summary>
    public List<TokenOptions> Tokens { get; set; } = [];

    /// <summary>Invalid tokens one client address may present per minute before it is answered 429.</summary>
    [Range(1, 100_000)]
    public int FailedAttemptsPerMinute { get; set; } = 10;
}

/// <summary>One accepted token: who it is, what it may do, and the SHA-256 of its secret (hex).</summary>
public sealed class TokenOptions
{
    public string Name { get; set; } = string.Empty;

    public string Role { get; set; } = string.Empty;

    public string Sha256 { get; set; } = string.Empty;
}

/// <summary>Per-client request rate of <c>/v1</c>, under <c>Deployer:RateLimit</c>.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Sustained requests per second a client (a token's name, or else an address) may send.</summary>
    [Range(1, 1_000_000)]
    public int RequestsPerSecond { get; set; } = 50;

    /// <summary>How many requests a client may send at once above the sustained rate.</summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 100;
}
