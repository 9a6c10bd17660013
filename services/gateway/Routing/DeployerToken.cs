using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Configuration;

namespace ModelPlatform.Gateway.Routing;

/// <summary>
/// The token the gateway presents to the deployer. A token file is read again when its modification
/// time changes, when the copy in memory is older than <see cref="DeployerConnectionOptions.TokenFileRefreshInterval"/>,
/// and after the deployer refused the token, so a rotated Secret is used without a restart (as
/// kubernetes-client's TokenFileAuth does with a service account token).
/// </summary>
internal sealed class DeployerToken(IOptions<DeployerConnectionOptions> options, TimeProvider time)
{
    private readonly Lock _lock = new();
    private string? _token;
    private DateTime _fileWritten;
    private long _readAt;

    /// <summary>Where the token comes from, for log messages.</summary>
    public string Source => options.Value.TokenSource;

    /// <summary>The token to send now.</summary>
    public string Current()
    {
        var settings = options.Value;
        if (settings.Token is { Length: > 0 } token)
        {
            return token;
        }

        var path = settings.TokenFile!;
        var written = File.GetLastWriteTimeUtc(path);
        lock (_lock)
        {
            if (_token is null || written != _fileWritten || time.GetElapsedTime(_readAt) >= settings.TokenFileRefreshInterval)
            {
                _token = BearerTokens.ReadFile(path);
                _fileWritten = written;
                _readAt = time.GetTimestamp();
            }

            return _token;
        }
    }

    /// <summary>The deployer refused the token: read the file again before the next call.</summary>
    public void Refused()
    {
        lock (_lock)
        {
            _token = null;
        }
    }
}
