using System.Text.RegularExpressions;
using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Validation;

/// <summary>Checks what a deployment asks the gateway to enforce: its API keys and its rate limit.</summary>
internal static partial class GatewayPolicyValidator
{
    public const int MaxApiKeys = 100;

    public const int MaxRequestsPerSecond = 1_000_000;

    public static IEnumerable<(string Field, string Message)> Validate(AccessSpec? access, RateLimitSpec? limits)
    {
        var keys = access?.ApiKeys ?? [];
        if (keys.Count > MaxApiKeys)
        {
            yield return ("access.apiKeys", $"holds at most {MaxApiKeys} keys.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Count; i++)
        {
            var path = $"access.apiKeys[{i}]";
            if (keys[i] is not { } key)
            {
                yield return (path, "must be an object with 'name' and 'sha256'.");
                continue;
            }

            if (string.IsNullOrEmpty(key.Name) || !KeyName().IsMatch(key.Name))
            {
                yield return ($"{path}.name", "is required: 1 to 63 letters, digits, '.', '_' or '-'.");
            }
            else if (!names.Add(key.Name))
            {
                yield return ($"{path}.name", $"'{key.Name}' names another key too; key names must be unique.");
            }

            if (!BearerTokens.IsSha256Hex(key.Sha256))
            {
                yield return ($"{path}.sha256", "must be the key's SHA-256 as 64 hex digits (sha256sum of the key), never the key itself.");
            }
        }

        if (limits is not null)
        {
            if (limits.RequestsPerSecond is < 1 or > MaxRequestsPerSecond)
            {
                yield return ("limits.requestsPerSecond", $"must be between 1 and {MaxRequestsPerSecond}.");
            }

            if (limits.Burst < 0 || limits.Burst > MaxRequestsPerSecond || (limits.Burst > 0 && limits.Burst < limits.RequestsPerSecond))
            {
                yield return ("limits.burst", $"must be 0 (one second's worth) or between requestsPerSecond and {MaxRequestsPerSecond}.");
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,63}$")]
    private static partial Regex KeyName();
}
