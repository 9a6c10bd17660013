using System.CommandLine;
using ModelPlatform.Contracts;

namespace ModelPlatform.Cli.Connection;

/// <summary>
/// Flags first, then environment variables, then the quickstart's defaults: the deployer on
/// 127.0.0.1:5100 and its token file. A token is optional here: without one the deployer answers
/// 401 and the error says where the CLI looked.
/// </summary>
internal static class ConnectionResolver
{
    public static ConnectionSettings Resolve(ParseResult parse, GlobalOptions options, CliEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);

        var deployer = Url(parse.GetValue(options.Deployer), "--deployer")
            ?? Url(environment.Variable(ConnectionSettings.DeployerVariable), "$" + ConnectionSettings.DeployerVariable)
            ?? ConnectionSettings.DefaultDeployer;
        var gateway = Url(parse.GetValue(options.Gateway), "--gateway")
            ?? Url(environment.Variable(ConnectionSettings.GatewayVariable), "$" + ConnectionSettings.GatewayVariable);
        var (token, source) = ResolveToken(parse, options, environment);
        return new ConnectionSettings(deployer, token, source, gateway);
    }

    private static (string? Token, string Source) ResolveToken(ParseResult parse, GlobalOptions options, CliEnvironment environment)
    {
        if (parse.GetValue(options.Token) is { Length: > 0 } token)
        {
            if (parse.GetValue(options.TokenFile) is not null)
            {
                throw CliFailure.Usage("Give only one of --token and --token-file.");
            }

            return (token, "--token");
        }

        if (parse.GetValue(options.TokenFile) is { } file)
        {
            return (ReadFile(file.FullName, "--token-file"), $"--token-file {file.FullName}");
        }

        if (environment.Variable(ConnectionSettings.TokenVariable) is { Length: > 0 } fromEnvironment)
        {
            return (fromEnvironment.Trim(), "$" + ConnectionSettings.TokenVariable);
        }

        if (environment.Variable(ConnectionSettings.TokenFileVariable) is { Length: > 0 } path)
        {
            var full = Path.GetFullPath(path, environment.CurrentDirectory);
            return (ReadFile(full, "$" + ConnectionSettings.TokenFileVariable), $"${ConnectionSettings.TokenFileVariable} {full}");
        }

        if (QuickstartTokenFile.Find(environment.CurrentDirectory) is { } quickstart)
        {
            return (ReadFile(quickstart, "the quickstart's token file"), $"the quickstart's token file {quickstart}");
        }

        return (null, $"nowhere (no --token, --token-file, ${ConnectionSettings.TokenVariable} or ${ConnectionSettings.TokenFileVariable}, " +
            $"and no {QuickstartTokenFile.RelativePath} in {environment.CurrentDirectory} or above)");
    }

    private static string ReadFile(string path, string setting)
    {
        try
        {
            return BearerTokens.ReadFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw CliFailure.Usage($"Cannot read the token from {path} ({setting}): {ex.Message}");
        }
    }

    /// <summary>An absolute http(s) URL with a trailing slash (so paths combine under it), or null when not given.</summary>
    private static Uri? Url(string? text, string setting)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw CliFailure.Usage($"{setting} must be an absolute http(s) URL, e.g. http://127.0.0.1:5100; '{text}' is not.");
        }

        return url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
    }
}
