using System.Text.Json.Nodes;
using ModelPlatform.Cli.Connection;
using ModelPlatform.Cli.Http;
using ModelPlatform.Cli.Output;

namespace ModelPlatform.Cli;

/// <summary>What one command runs with: its output, the servers it talks to, and how to find the gateway.</summary>
internal sealed class Session : IDisposable
{
    private readonly HttpClient _http;

    public Session(CliOutput output, ConnectionSettings connection, string currentDirectory)
    {
        Output = output;
        CurrentDirectory = currentDirectory;
        Connection = connection;
        // Deadlines are per request (ApiClient); an upload may take as long as it takes.
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) }) { Timeout = Timeout.InfiniteTimeSpan };
        Deployer = new DeployerClient(_http, connection);
    }

    public CliOutput Output { get; }

    /// <summary>Where relative paths the user gives, and files the CLI writes for them, are.</summary>
    public string CurrentDirectory { get; }

    public ConnectionSettings Connection { get; }

    public DeployerClient Deployer { get; }

    /// <summary>
    /// The gateway given by --gateway or the environment; otherwise the one the deployer reports the
    /// deployment at (its <c>status.url</c>, from Deployer:PublicUrl), read from <paramref name="deployment"/>
    /// or fetched.
    /// </summary>
    public async Task<GatewayClient> GatewayAsync(string name, JsonObject? deployment, CancellationToken cancellationToken)
    {
        if (Connection.Gateway is { } configured)
        {
            return new GatewayClient(_http, configured);
        }

        deployment ??= (await Deployer.GetAsync(name, cancellationToken)).Deployment;
        var url = deployment["status"]?["url"]?.ToString();
        if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var modelUrl))
        {
            throw CliFailure.Usage($"The deployer reports no URL for '{name}'.", $"Pass --gateway or set ${ConnectionSettings.GatewayVariable}.");
        }

        return new GatewayClient(_http, GatewayBase(modelUrl, name));
    }

    /// <summary><c>http://host:5000/v2/models/fraud</c> to <c>http://host:5000/</c>; any path before <c>v2/models</c> is kept.</summary>
    public static Uri GatewayBase(Uri modelUrl, string name)
    {
        ArgumentNullException.ThrowIfNull(modelUrl);
        var text = modelUrl.AbsoluteUri;
        var suffix = GatewayClient.ModelPath(name);
        return text.EndsWith(suffix, StringComparison.Ordinal) ? new Uri(text[..^suffix.Length]) : new Uri(modelUrl, "/");
    }

    public void Dispose() => _http.Dispose();
}
