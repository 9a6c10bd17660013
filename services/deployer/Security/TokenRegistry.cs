using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.Security;

/// <summary>
/// The tokens the deployer accepts, held only as SHA-256 hashes. A plain hash suffices because
/// tokens are random 256-bit secrets, not passwords: there is no dictionary to try against it, so a
/// slow password hash would buy nothing and cost every request.
/// </summary>
internal sealed partial class TokenRegistry
{
    private readonly IReadOnlyList<(string Name, string Role, byte[] Hash)> _tokens;

    public TokenRegistry(IOptions<DeployerOptions> options, ModelFetchToken fetchToken, ILogger<TokenRegistry> logger)
    {
        ArgumentNullException.ThrowIfNull(fetchToken);
        var configured = options.Value.Auth.Tokens;
        if (configured.Count > 0)
        {
            _tokens = [.. configured.Select(token => (token.Name, token.Role, Convert.FromHexString(token.Sha256))), .. fetchToken.Accepted];
            return;
        }

        var file = AdminTokenFile.EnsureExists(options.Value.DataDirectory, out var created);
        _tokens = [(AdminTokenFile.IdentityName, Roles.Admin, BearerTokens.Sha256(AdminTokenFile.Read(file))), .. fetchToken.Accepted];
        LogAdminToken(logger, created ? "Created" : "Using", file);
    }

    /// <summary>The identity of a presented token, comparing every hash in constant time.</summary>
    public bool TryAuthenticate(string token, out string name, out string role)
    {
        var presented = BearerTokens.Sha256(token);
        (name, role) = (string.Empty, string.Empty);
        var found = false;
        foreach (var candidate in _tokens)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, candidate.Hash) && !found)
            {
                (name, role, found) = (candidate.Name, candidate.Role, true);
            }
        }

        return found;
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "No API tokens are configured (Deployer:Auth:Tokens). {Verb} an admin token, readable only by this user, in {Path}. Use it: curl -H \"Authorization: Bearer $(cat {Path})\" http://127.0.0.1:5100/v1/deployments")]
    private static partial void LogAdminToken(ILogger logger, string verb, string path);
}
