using System.Security.Cryptography;
using ModelPlatform.Contracts;

namespace ModelPlatform.Gateway.Routing;

/// <summary>What the gateway enforces for one model: the hashes of its API keys (none: open) and its per-client rate limit.</summary>
internal sealed class ModelPolicy
{
    private readonly (string Name, byte[] Hash)[] _keys;

    public ModelPolicy(ModelRoute route)
    {
        _keys = [.. (route.ApiKeys ?? [])
            .Where(key => BearerTokens.IsSha256Hex(key.Sha256) && key.Name is not null)
            .Select(key => (key.Name!, Convert.FromHexString(key.Sha256!)))];
        Limits = route.Limits is { RequestsPerSecond: > 0 } limits
            ? limits with { Burst = Math.Max(limits.Burst, limits.RequestsPerSecond) }
            : null;
    }

    public bool RequiresKey => _keys.Length > 0;

    public RateLimitSpec? Limits { get; }

    /// <summary>The name of the key <paramref name="presented"/> is, comparing every hash in constant time; null if none.</summary>
    public string? FindKey(string presented)
    {
        var hash = BearerTokens.Sha256(presented);
        string? found = null;
        foreach (var (name, expected) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, expected))
            {
                found = name;
            }
        }

        return found;
    }
}
