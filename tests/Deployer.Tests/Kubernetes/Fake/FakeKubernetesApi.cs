using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Kubernetes.Fake;

/// <summary>
/// An in-process stand-in for the Kubernetes API server on a free loopback port, speaking the REST
/// protocol KubernetesClient uses: server-side apply (PATCH application/apply-patch+yaml with
/// fieldManager and force), create, get, list with labelSelector, watch (newline-delimited events
/// from a resourceVersion, 410 Gone for a compacted one), delete with propagationPolicy, and pod logs.
/// It refuses what the real one refuses (see <see cref="ManifestRules"/>) with Status bodies: a request
/// without the kubeconfig's bearer token (401), one for another namespace than the cluster's, as RBAC
/// with a Role in one namespace does (403), and a test can make it answer chosen calls with an error
/// (401, 403, 429 with Retry-After, 5xx...). Clients reach it through a generated kubeconfig.
/// </summary>
public sealed class FakeKubernetesApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _directory = Directory.CreateTempSubdirectory("fake-kubernetes-").FullName;
    private readonly List<Fault> _faults = [];
    private readonly List<string> _requests = [];
    private CancellationTokenSource _watches = new();
    private int _disposed;

    private FakeKubernetesApi(WebApplication app, int port)
    {
        _app = app;
        Address = new Uri($"http://127.0.0.1:{port}");
        KubeConfigPath = Path.Combine(_directory, "kubeconfig");
        File.WriteAllText(KubeConfigPath, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: {Address.ToString().TrimEnd('/')}
            users:
            - name: tester
              user:
                token: {Token}
            contexts:
            - name: fake
              context:
                cluster: fake
                user: tester
                namespace: {Cluster.Namespace}
            current-context: fake
            """);
    }

    public FakeCluster Cluster { get; } = new();

    public Uri Address { get; }

    public string KubeConfigPath { get; }

    /// <summary>"METHOD path?query" of every request so far.</summary>
    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public static async Task<FakeKubernetesApi> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeKubernetesApi(app, port);
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        return fake;
    }

    /// <summary>The bearer token the kubeconfig gives clients; a request without it is answered 401.</summary>
    public const string Token = "fake-token";

    /// <summary>
    /// Answers the next <paramref name="times"/> requests whose method matches and whose path contains
    /// <paramref name="pathContains"/> with an error, with a Retry-After header (seconds) when given, as
    /// API Priority and Fairness sends with its 429s.
    /// </summary>
    public void Fail(string method, string pathContains, int code, string reason, string message, int times = int.MaxValue, int? retryAfterSeconds = null)
    {
        lock (_faults)
        {
            _faults.Add(new Fault(method, pathContains, code, reason, message, times, retryAfterSeconds));
        }
    }

    public void ClearFaults()
    {
        lock (_faults)
        {
            _faults.Clear();
        }
    }

    /// <summary>Ends every open watch, as an API server restart or a load balancer's idle timeout does.</summary>
    public void EndWatches()
    {
        var old = Interlocked.Exchange(ref _watches, new CancellationTokenSource());
        old.Cancel();
        old.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _watches.Cancel();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _watches.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        lock (_requests)
        {
            _requests.Add($"{request.Method} {request.Path}{request.QueryString}");
        }

        try
        {
            if (request.Headers.Authorization.ToString() != $"Bearer {Token}")
            {
                throw new KubernetesStatusException(401, "Unauthorized", "Unauthorized");
            }

            if (TakeFault(request) is { } fault)
            {
                if (fault.RetryAfterSeconds is { } seconds)
                {
                    context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                }

                throw new KubernetesStatusException(fault.Code, fault.Reason, fault.Message);
            }

            if (!Route(request.Path.Value ?? "", out var resource, out var name, out var subresource, out var @namespace))
            {
                throw new KubernetesStatusException(404, "NotFound", "the server could not find the requested resource");
            }

            if (@namespace != Cluster.Namespace)
            {
                // What RBAC answers a service account whose Role is in another namespace.
                var verb = request.Method switch
                {
                    "GET" when name is null => IsTrue(request.Query["watch"]) ? "watch" : "list",
                    "GET" => "get",
                    "POST" => "create",
                    "PATCH" => "patch",
                    "DELETE" => "delete",
                    _ => request.Method.ToLowerInvariant(),
                };
                throw new KubernetesStatusException(403, "Forbidden",
                    $"{resource.Plural}{resource.GroupSuffix} is forbidden: User \"system:serviceaccount:model-platform:deployer\" cannot {verb} resource \"{resource.Plural}\" in API group \"{resource.Group}\" in the namespace \"{@namespace}\"");
            }

            await DispatchAsync(context, resource, name, subresource);
        }
        catch (KubernetesStatusException status)
        {
            context.Response.StatusCode = status.Code;
            await context.Response.WriteAsJsonAsync(status.ToJson());
        }
    }

    private async Task DispatchAsync(HttpContext context, Resource resource, string? name, string? subresource)
    {
        var request = context.Request;
        switch (request.Method, name, subresource)
        {
            case ("GET", null, null) when IsTrue(request.Query["watch"]):
                await WatchAsync(context, resource);
                break;
            case ("GET", null, null):
                await context.Response.WriteAsJsonAsync(new JsonObject
                {
                    ["apiVersion"] = resource.ApiVersion,
                    ["kind"] = resource.Kind + "List",
                    ["metadata"] = new JsonObject { ["resourceVersion"] = Cluster.Version },
                    ["items"] = new JsonArray([.. Cluster.List(resource, Selector(request.Query["labelSelector"]))]),
                });
                break;
            case ("GET", { } one, null):
                await context.Response.WriteAsJsonAsync(Cluster.Get(resource, one) ?? throw KubernetesStatusException.NotFound(resource, one));
                break;
            case ("GET", { } pod, "log") when resource == Resource.Pods:
                var log = Cluster.Log(pod) ?? throw KubernetesStatusException.NotFound(resource, pod);
                var tail = int.TryParse(request.Query["tailLines"], CultureInfo.InvariantCulture, out var lines) ? lines : int.MaxValue;
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync(string.Join('\n', log.Split('\n').TakeLast(tail)));
                break;
            case ("POST", null, null):
                var created = await ReadManifestAsync(request, resource, null);
                Validate(resource, created, null);
                context.Response.StatusCode = 201;
                await context.Response.WriteAsJsonAsync(Cluster.Create(resource, created));
                break;
            case ("PATCH", { } patched, null):
                await context.Response.WriteAsJsonAsync(await ApplyAsync(request, resource, patched));
                break;
            case ("DELETE", { } deleted, null):
                await context.Response.WriteAsJsonAsync(Cluster.Delete(resource, deleted, request.Query["propagationPolicy"]));
                break;
            default:
                throw new KubernetesStatusException(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource");
        }
    }

    private async Task<JsonObject> ApplyAsync(HttpRequest request, Resource resource, string name)
    {
        if (request.ContentType?.StartsWith("application/apply-patch+yaml", StringComparison.Ordinal) != true)
        {
            throw new KubernetesStatusException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml (this fake serves server-side apply only, got {request.ContentType})");
        }

        if (string.IsNullOrEmpty(request.Query["fieldManager"]))
        {
            throw KubernetesStatusException.BadRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
        }

        var manifest = await ReadManifestAsync(request, resource, name);
        var existing = Cluster.Get(resource, name);
        Validate(resource, manifest, existing);
        return Cluster.Apply(resource, name, manifest);
    }

    private static void Validate(Resource resource, JsonObject manifest, JsonObject? existing)
    {
        var causes = ManifestRules.Validate(resource, manifest, existing);
        if (causes.Count > 0)
        {
            throw KubernetesStatusException.Invalid(resource, (string?)manifest["metadata"]?["name"] ?? "", causes);
        }
    }

    private static async Task<JsonObject> ReadManifestAsync(HttpRequest request, Resource resource, string? name)
    {
        JsonObject manifest;
        try
        {
            // Apply documents are YAML; KubernetesClient sends JSON, which is YAML too, and the only form this fake reads.
            manifest = await JsonNode.ParseAsync(request.Body) as JsonObject ?? throw KubernetesStatusException.BadRequest("the body is not an object");
        }
        catch (JsonException ex)
        {
            throw KubernetesStatusException.BadRequest($"error decoding the body: {ex.Message}");
        }

        if ((string?)manifest["apiVersion"] != resource.ApiVersion || (string?)manifest["kind"] != resource.Kind)
        {
            throw KubernetesStatusException.BadRequest($"the API version in the data ({manifest["apiVersion"]}) and kind ({manifest["kind"]}) do not match the expected {resource.ApiVersion} {resource.Kind}");
        }

        if (name is not null && (string?)manifest["metadata"]?["name"] != name)
        {
            throw KubernetesStatusException.BadRequest($"the name of the object ({manifest["metadata"]?["name"]}) does not match the name on the URL ({name})");
        }

        return manifest;
    }

    private async Task WatchAsync(HttpContext context, Resource resource)
    {
        var request = context.Request;
        var selector = Selector(request.Query["labelSelector"]);
        var timeout = int.TryParse(request.Query["timeoutSeconds"], CultureInfo.InvariantCulture, out var seconds) ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromMinutes(30);
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _watches.Token);
        ended.CancelAfter(timeout);
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync(ended.Token);
        if (!long.TryParse(request.Query["resourceVersion"], CultureInfo.InvariantCulture, out var after))
        {
            // No version: every current object as ADDED, then what follows.
            after = long.Parse(Cluster.Version, CultureInfo.InvariantCulture);
            foreach (var item in Cluster.List(resource, selector))
            {
                await WriteEventAsync(context.Response, "ADDED", item, ended.Token);
            }
        }

        try
        {
            while (!ended.IsCancellationRequested)
            {
                var appended = Cluster.Appended;
                if (Cluster.EventsAfter(after) is not { } events)
                {
                    await WriteEventAsync(context.Response, "ERROR",
                        KubernetesStatusException.Body(410, "Expired", $"too old resource version: {after} ({Cluster.Version})"), ended.Token);
                    return;
                }

                foreach (var change in events)
                {
                    after = change.Version;
                    if (change.Resource == resource && selector(change.Item))
                    {
                        await WriteEventAsync(context.Response, change.Type, change.Item, ended.Token);
                    }
                }

                await appended.WaitAsync(ended.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // The watch ends as a server ends one: the stream simply closes.
        }
    }

    private static async Task WriteEventAsync(HttpResponse response, string type, JsonObject item, CancellationToken cancellationToken)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = item.DeepClone() }.ToJsonString() + "\n";
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(line), cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    /// <summary>Equality-based label selectors (<c>a=b,c=d</c>), the form the deployer sends.</summary>
    private static Func<JsonObject, bool> Selector(string? selector)
    {
        if (string.IsNullOrEmpty(selector))
        {
            return _ => true;
        }

        var terms = selector.Split(',').Select(term => term.Split('=', 2)).ToList();
        if (terms.Any(term => term.Length != 2))
        {
            throw KubernetesStatusException.BadRequest($"unable to parse requirement: {selector}");
        }

        return item => terms.All(term => (string?)item["metadata"]?["labels"]?[term[0]] == term[1]);
    }

    private static bool Route(string path, out Resource resource, out string? name, out string? subresource, out string @namespace)
    {
        // /api/v1/namespaces/{ns}/{plural}[/{name}[/{sub}]] and /apis/{group}/{version}/namespaces/{ns}/{plural}[/{name}]
        var parts = path.Trim('/').Split('/');
        var offset = parts.FirstOrDefault() == "api" ? 2 : 3;
        resource = null!;
        name = null;
        subresource = null;
        @namespace = "";
        if (parts.Length < offset + 3 || parts[offset] != "namespaces")
        {
            return false;
        }

        @namespace = parts[offset + 1];

        var group = offset == 2 ? "" : parts[1];
        var version = parts[offset - 1];
        var match = Resource.All.FirstOrDefault(r => r.Group == group && r.Version == version && r.Plural == parts[offset + 2]);
        if (match is null)
        {
            return false;
        }

        resource = match;
        name = parts.ElementAtOrDefault(offset + 3);
        subresource = parts.ElementAtOrDefault(offset + 4);
        return true;
    }

    private static bool IsTrue(string? value) => value is "true" or "1";

    private Fault? TakeFault(HttpRequest request)
    {
        var path = $"{request.Path}{request.QueryString}";
        lock (_faults)
        {
            var fault = _faults.FirstOrDefault(f => f.Remaining > 0 && f.Method == request.Method && path.Contains(f.PathContains, StringComparison.Ordinal));
            if (fault is not null)
            {
                fault.Remaining--;
            }

            return fault;
        }
    }

    private sealed class Fault(string method, string pathContains, int code, string reason, string message, int times, int? retryAfterSeconds)
    {
        public int? RetryAfterSeconds { get; } = retryAfterSeconds;

        public string Method { get; } = method;

        public string PathContains { get; } = pathContains;

        public int Code { get; } = code;

        public string Reason { get; } = reason;

        public string Message { get; } = message;

        public int Remaining { get; set; } = times;
    }
}
