using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Domain;

/// <summary>
/// What the gateway enforces for a model, as the deployer stores and compares it: API key hashes
/// (normalized to lower-case hex; an empty list is an open model) and the per-client rate limit.
/// </summary>
internal static class GatewayPolicy
{
    public static AccessSpec? Normalize(AccessSpec? access) => access?.ApiKeys is { Count: > 0 } keys
        ? new AccessSpec { ApiKeys = [.. keys.Select(key => key with { Sha256 = key.Sha256?.ToLowerInvariant() })] }
        : null;

    public static RateLimitSpec? Normalize(RateLimitSpec? limits) => limits is null
        ? null
        : limits with { Burst = limits.Burst > 0 ? limits.Burst : limits.RequestsPerSecond };

    public static bool Same(AccessSpec? a, AccessSpec? b)
    {
        var (left, right) = (Normalize(a)?.ApiKeys ?? [], Normalize(b)?.ApiKeys ?? []);
        return left.SequenceEqual(right);
    }

    public static bool Same(RateLimitSpec? a, RateLimitSpec? b) => Normalize(a) == Normalize(b);
}
