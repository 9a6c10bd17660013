using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelPlatform.Contracts;

namespace ModelPlatform.Testing;

/// <summary>
/// A real deployer process with its own data directory and test models, speaking real HTTP and
/// starting real replica processes. It can be killed and started again over the same data.
/// </summary>
public class DeployerHarness : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>A token per role, configured by hash; <see cref="Client"/> sends the admin's.</summary>
    public static readonly IReadOnlyDictionary<string, string> Tokens = new Dictionary<string, string>
    {
        ["reader"] = "test-reader-8f1d2c",
        ["deployer"] = "test-deployer-51aa07",
        ["operator"] = "test-operator-c3e9b4",
        ["admin"] = "test-admin-0d6f93",
        ["gateway"] = "test-gateway-7b42e1",
    };

    private readonly string _root = Directory.CreateTempSubdirectory("modelplatform-deployer-").FullName;
    private ServerProcess? _process;
    private int _port;

    public string DataDirectory => Path.Combine(_root, "data");

    public string ModelsDirectory => Path.Combine(_root, "models");

    /// <summary>A tiny model that loads in milliseconds.</summary>
    public string AddMulModel { get; private set; } = string.Empty;

    /// <summary>A file that is not a model: replicas of it exit with code 3.</summary>
    public string BrokenModel { get; private set; } = string.Empty;

    public HttpClient Client { get; private set; } = null!;

    public Uri BaseAddress => Client.BaseAddress!;

    public ServerProcess Process => _process ?? throw new InvalidOperationException("not started");

    protected virtual Dictionary<string, string> Settings() => [];

    /// <summary>Whether the deployer is given <see cref="Tokens"/>; without, it makes its own admin token.</summary>
    protected virtual bool ConfigureTokens => true;

    public virtual async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(ModelsDirectory);
        AddMulModel = TestModels.WriteAddMul(ModelsDirectory);
        BrokenModel = Path.Combine(ModelsDirectory, "broken.onnx");
        await File.WriteAllTextAsync(BrokenModel, "not a model");
        _port = FreePort.Next();
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}"), Timeout = TimeSpan.FromSeconds(60) };
        Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Tokens["admin"]);
        await StartAsync();
    }

    public async Task StartAsync(params (string Key, string Value)[] extra)
    {
        _process = Launch(extra);
        await _process.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// Starts the test build of the deployer that kills itself right after <paramref name="activity"/>'s
    /// side effect, before its result is journaled (tests/DeployerCrashHost).
    /// </summary>
    public async Task StartCrashingAfterAsync(string activity)
    {
        _process = Launch(CrashHostDll, [("Testing__CrashAfterActivity", activity)]);
        await _process.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));
    }

    private static string CrashHostDll => Path.Combine(
        RepositoryPaths.Root, "tests", "DeployerCrashHost", "bin", RepositoryPaths.Configuration, "net10.0", "ModelPlatform.Deployer.CrashHost.dll");

    /// <summary>Starts a deployer process over this data without waiting for it, nor owning it.</summary>
    public ServerProcess Launch(params (string Key, string Value)[] extra) =>
        Launch(RepositoryPaths.ServiceDll("deployer", "ModelPlatform.Deployer"), extra);

    private ServerProcess Launch(string dll, (string Key, string Value)[] extra)
    {
        var environment = new Dictionary<string, string>
        {
            ["Deployer__DataDirectory"] = DataDirectory,
            ["Deployer__ModelRoots__0"] = ModelsDirectory,
            ["Deployer__WatchTimeout"] = "00:00:02",
            ["Deployer__ReadyTimeout"] = "00:01:00",
            ["Deployer__MaxFailedStarts"] = "2",
            ["Deployer__Processes__RestartDelay"] = "00:00:00.100",
            ["Deployer__Processes__MaxRestartDelay"] = "00:00:01",
            ["Deployer__Processes__ProbeInterval"] = "00:00:00.200",
            ["Logging__LogLevel__Default"] = "Warning",
            // The tests' own pace is not what the limit is for; RateLimit tests set their own.
            ["Deployer__RateLimit__RequestsPerSecond"] = "100000",
            ["Deployer__RateLimit__Burst"] = "100000",
        };
        var index = 0;
        foreach (var (role, token) in ConfigureTokens ? Tokens : new Dictionary<string, string>())
        {
            environment[$"Deployer__Auth__Tokens__{index}__Name"] = $"test-{role}";
            environment[$"Deployer__Auth__Tokens__{index}__Role"] = role;
            environment[$"Deployer__Auth__Tokens__{index}__Sha256"] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));
            index++;
        }

        foreach (var (key, value) in Settings())
        {
            environment[key] = value;
        }

        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        return ServerProcess.Start(
            dll, _port, environment,
            "--urls", $"http://127.0.0.1:{_port}");
    }

    public async Task KillAsync()
    {
        await Process.CrashAsync();
        await Process.DisposeAsync();
        _process = null;
    }

    /// <summary>Starts the deployer again after its process died on its own (a test hook killed it).</summary>
    public async Task RestartAfterCrashAsync()
    {
        if (!Process.HasExited)
        {
            throw new InvalidOperationException("The deployer is still running.");
        }

        await Process.DisposeAsync();
        _process = null;
        await StartAsync();
    }

    /// <summary>SIGTERM: a graceful stop.</summary>
    public async Task<int> StopAsync()
    {
        Process.Terminate();
        var code = await Process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        await Process.DisposeAsync();
        _process = null;
        return code;
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            await StopAsync();
        }

        // Whatever a failed test left running under this data directory goes too.
        foreach (var pid in AllReplicas())
        {
            ReplicaProcesses.Kill(pid);
        }

        Client.Dispose();
        Directory.Delete(_root, recursive: true);
        GC.SuppressFinalize(this);
    }

    public IReadOnlyList<int> Replicas(string deployment) => ReplicaProcesses.Under(DataDirectory, deployment);

    public object ModelVariant(int replicas = 1, Dictionary<string, string>? env = null, string? uri = null) => new
    {
        model = new { format = "onnx", uri = uri ?? AddMulModel },
        replicas,
        env,
    };

    public async Task<HttpResponseMessage> CreateAsync(string name, object? stable = null, object? canary = null, CancellationToken cancellationToken = default) =>
        await Client.PostAsJsonAsync("/v1/deployments", new { name, stable = stable ?? ModelVariant(), canary }, cancellationToken);

    public async Task<Deployment?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        using var response = await Client.GetAsync($"/v1/deployments/{name}", cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await response.Content.ReadFromJsonAsync<Deployment>(Json, cancellationToken);
    }

    public async Task<RouteTable> RoutesAsync(CancellationToken cancellationToken = default) =>
        (await Client.GetFromJsonAsync<RouteTable>("/v1/routes", Json, cancellationToken))!;

    /// <summary>Polls until the deployment's status satisfies <paramref name="condition"/>.</summary>
    public async Task<Deployment> WaitForAsync(string name, Func<Deployment, bool> condition, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        Deployment? last = null;
        while (clock.Elapsed < (timeout ?? TimeSpan.FromSeconds(60)))
        {
            last = await GetAsync(name, cancellationToken);
            if (last is not null && condition(last))
            {
                return last;
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException($"Deployment {name} did not reach the expected state. Last: {JsonSerializer.Serialize(last, Json)}\n{Process.Output}");
    }

    public Task<Deployment> WaitForReadyAsync(string name, CancellationToken cancellationToken = default) =>
        WaitForAsync(name, d => d.Status.Phase == DeploymentPhase.Ready, cancellationToken: cancellationToken);

    public async Task WaitForGoneAsync(string name, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        while (await GetAsync(name, cancellationToken) is not null)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"Deployment {name} was not deleted.\n{Process.Output}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    public static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken = default) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!;

    public static string Port(string endpoint) => new Uri(endpoint).Port.ToString(CultureInfo.InvariantCulture);

    private IEnumerable<int> AllReplicas() =>
        ReplicaProcesses.WithEnvironment("Inference__BindAddress", "127.0.0.1")
            .Where(pid => ReplicaProcesses.EnvironmentValue(pid, "REPLICA_LOG")?.StartsWith(DataDirectory, StringComparison.Ordinal) == true);
}
