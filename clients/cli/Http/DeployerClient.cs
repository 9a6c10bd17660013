using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ModelPlatform.Cli.Connection;

namespace ModelPlatform.Cli.Http;

/// <summary>The deployer's <c>/v1</c> API as the commands use it (docs/deployer.md): JSON in, JSON out.</summary>
internal sealed class DeployerClient(HttpClient http, ConnectionSettings connection)
{
    private readonly ApiClient _api = new(http, connection.Deployer, "the deployer", $"--deployer or ${ConnectionSettings.DeployerVariable}", connection);

    public Uri Address => connection.Deployer;

    public async Task<JsonArray> ListAsync(CancellationToken cancellationToken) =>
        (await _api.SendAsync(HttpMethod.Get, "v1/deployments", null, cancellationToken)).Object()["items"] as JsonArray ?? [];

    public async Task<(JsonObject Deployment, string? ETag)> GetAsync(string name, CancellationToken cancellationToken)
    {
        var answer = await _api.SendAsync(HttpMethod.Get, Path(name), null, cancellationToken);
        return (answer.Object(), answer.ETag);
    }

    /// <summary>The route table's version (<c>GET /v1/routes</c>): what a watch of it waits to pass.</summary>
    public async Task<long> RouteTableVersionAsync(CancellationToken cancellationToken) =>
        RouteTableVersion(await _api.SendAsync(HttpMethod.Get, "v1/routes", null, cancellationToken));

    /// <summary>
    /// The deployer's long-poll of its route table, the one gateways follow: answers once the version
    /// passes <paramref name="after"/>, or unchanged when the deployer's watch timeout ends.
    /// </summary>
    public async Task<long> WatchRouteTableAsync(long after, CancellationToken cancellationToken) =>
        RouteTableVersion(await _api.SendAsync(
            HttpMethod.Get, string.Create(CultureInfo.InvariantCulture, $"v1/routes?watch=true&after={after}"), null, cancellationToken, unbounded: true));

    /// <summary>The deployment, or null once the deployer answers 404 (deleted, or never made).</summary>
    public async Task<JsonObject?> FindAsync(string name, CancellationToken cancellationToken)
    {
        var answer = await _api.SendAsync(HttpMethod.Get, Path(name), null, cancellationToken, accepted: HttpStatusCode.NotFound);
        return answer.Status == HttpStatusCode.NotFound ? null : answer.Object();
    }

    public async Task<JsonObject> CreateAsync(JsonObject request, CancellationToken cancellationToken) =>
        (await _api.SendAsync(HttpMethod.Post, "v1/deployments", ApiClient.JsonContent(request), cancellationToken)).Object();

    /// <summary>PUT with <c>If-Match</c>: refused with 412 if someone changed the deployment since <paramref name="etag"/> was read.</summary>
    public async Task<JsonObject> ReplaceAsync(string name, JsonObject request, string? etag, CancellationToken cancellationToken)
    {
        var headers = etag is null ? null : new Dictionary<string, string> { ["If-Match"] = etag };
        return (await _api.SendAsync(HttpMethod.Put, Path(name), ApiClient.JsonContent(request), cancellationToken, headers)).Object();
    }

    public async Task<JsonObject> SetTrafficAsync(string name, int canaryPercent, CancellationToken cancellationToken) =>
        (await _api.SendAsync(HttpMethod.Put, Path(name) + "/traffic", ApiClient.JsonContent(new JsonObject { ["canary"] = canaryPercent }), cancellationToken)).Object();

    public async Task<JsonObject> PromoteAsync(string name, int? replicas, CancellationToken cancellationToken)
    {
        var body = replicas is { } count ? ApiClient.JsonContent(new JsonObject { ["replicas"] = count }) : null;
        return (await _api.SendAsync(HttpMethod.Post, Path(name) + "/promote", body, cancellationToken)).Object();
    }

    public async Task<JsonObject> RollbackAsync(string name, CancellationToken cancellationToken) =>
        (await _api.SendAsync(HttpMethod.Post, Path(name) + "/rollback", null, cancellationToken)).Object();

    public async Task<JsonObject?> DeleteAsync(string name, CancellationToken cancellationToken) =>
        (await _api.SendAsync(HttpMethod.Delete, Path(name), null, cancellationToken)).Json() as JsonObject;

    /// <summary><c>POST /v1/deployments/{name}/rollout/{pause|resume|abort}</c>.</summary>
    public async Task<JsonNode?> RolloutAsync(string name, string action, CancellationToken cancellationToken) =>
        (await _api.SendAsync(HttpMethod.Post, $"{Path(name)}/rollout/{action}", null, cancellationToken)).Json();

    public async Task<string> LogsAsync(string name, string variant, int replica, int tail, CancellationToken cancellationToken) =>
        (await _api.SendAsync(HttpMethod.Get, string.Create(CultureInfo.InvariantCulture,
            $"{Path(name)}/logs?variant={Uri.EscapeDataString(variant)}&replica={replica}&tail={tail}"), null, cancellationToken)).Body;

    public async Task<JsonObject> HistoryAsync(string name, int limit, CancellationToken cancellationToken) =>
        (await _api.SendAsync(HttpMethod.Get, string.Create(CultureInfo.InvariantCulture, $"{Path(name)}/history?limit={limit}"), null, cancellationToken)).Object();

    public async Task<JsonNode?> ModelsAsync(CancellationToken cancellationToken) =>
        (await _api.SendAsync(HttpMethod.Get, "v1/models", null, cancellationToken)).Json();

    public async Task<JsonObject> ModelAsync(string name, CancellationToken cancellationToken) =>
        (await _api.SendAsync(HttpMethod.Get, "v1/models/" + Uri.EscapeDataString(name), null, cancellationToken)).Object();

    /// <summary>
    /// <c>POST /v1/models?name=</c> with the file as the raw body, streamed from disk; the answer is
    /// the stored model (name, version, digest, size, uri, inputs, outputs).
    /// </summary>
    /// <summary>Uploads a model file; <c>Created</c> is false when the store already held these bytes (it answers 200, not 201).</summary>
    public async Task<(JsonObject Version, bool Created)> UploadAsync(string name, FileInfo file, IProgress<long> progress, CancellationToken cancellationToken)
    {
        var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        using var content = new ProgressStreamContent(stream, stream.Length, progress);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        // Expect: 100-continue lets the store refuse a file by its headers (413 beyond its size limit)
        // before the body is sent, rather than after, or by closing the connection on it.
        var headers = new Dictionary<string, string> { ["Expect"] = "100-continue" };
        var answer = await _api.SendAsync(HttpMethod.Post, "v1/models?name=" + Uri.EscapeDataString(name), content, cancellationToken, headers, unbounded: true);
        return (answer.Object(), answer.Status == System.Net.HttpStatusCode.Created);
    }

    private static string Path(string name) => "v1/deployments/" + Uri.EscapeDataString(name);

    private static long RouteTableVersion(ApiClient.Answer answer) =>
        answer.Object()["version"]?.GetValue<long>() ?? throw new CliFailure(ExitCodes.Unexpected, "The deployer's route table has no version.", answer.Body);
}
