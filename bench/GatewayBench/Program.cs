using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

// The gateway's added cost, next to nginx configured as the same weighted reverse proxy and to
// the backend called directly, in one run against the same replicas, with wrk as the load.
// Usage: GatewayBench [seconds] [connections]
var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
var connections = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
foreach (var tool in new[] { "nginx", "wrk" })
{
    if (!File.Exists($"/usr/sbin/{tool}") && !File.Exists($"/usr/bin/{tool}"))
    {
        Console.Error.WriteLine($"{tool} is missing: apt-get install nginx-light wrk");
        return 2;
    }
}

var root = Directory.CreateTempSubdirectory("modelplatform-gwbench-").FullName;
var model = TestModels.WriteAddMul(root);
string Built(string folder, string assembly) => Path.Combine(RepositoryPaths.Root, "services", folder, "bin/Release/net10.0", assembly + ".dll");

var deployerPort = FreePort.Next();
await using var deployer = ServerProcess.Start(Built("deployer", "ModelPlatform.Deployer"), deployerPort, new Dictionary<string, string>
{
    ["Deployer__DataDirectory"] = Path.Combine(root, "data"),
    // The benchmark is one client polling fast; the per-client limit is not what it measures.
    ["Deployer__RateLimit__RequestsPerSecond"] = "1000000",
    ["Deployer__RateLimit__Burst"] = "1000000",
    ["Deployer__ModelRoots__0"] = root,
    ["Deployer__Processes__InferenceServerPath"] = Built("sample-inference", "ModelPlatform.SampleInference"),
    ["Logging__LogLevel__Default"] = "Warning",
    // Measured as deployed: ServerProcess defaults to Development for the tests' sake.
    ["DOTNET_ENVIRONMENT"] = "Production",
}, "--urls", $"http://127.0.0.1:{deployerPort}");
await deployer.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));
var gatewayPort = FreePort.Next();
await using var gateway = ServerProcess.Start(Built("gateway", "ModelPlatform.Gateway"), gatewayPort, new Dictionary<string, string>
{
    ["Deployer__Url"] = deployer.BaseAddress.ToString(),
    // The deployer made its quickstart admin token on start; the gateway reads it, as in the app host.
    ["Deployer__TokenFile"] = Path.Combine(root, "data", AdminTokenFile.FileName),
    ["Logging__LogLevel__Default"] = "Warning",
    // Measured as deployed: ServerProcess defaults to Development for the tests' sake.
    ["DOTNET_ENVIRONMENT"] = "Production",
}.Concat(ExtraEnvironment()).ToDictionary(), "--urls", $"http://127.0.0.1:{gatewayPort}");
await gateway.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));

using var api = new HttpClient { BaseAddress = deployer.BaseAddress };
api.DefaultRequestHeaders.Authorization = new("Bearer", AdminTokenFile.Read(Path.Combine(root, "data", AdminTokenFile.FileName)));
var variant = new { model = new { format = "onnx", uri = model }, replicas = 1 };
(await api.PostAsJsonAsync("/v1/deployments", new
{
    name = "bench",
    stable = variant,
    // The same model under a file:// URI: a different variant spec, so a second replica set.
    canary = new { model = new { format = "onnx", uri = new Uri(model).AbsoluteUri }, replicas = 1 },
    traffic = new { canary = 20 },
})).EnsureSuccessStatusCode();
var routes = await WaitForRoutesAsync(api, gateway.BaseAddress);
var stable = routes.Variants.Single(v => v.Name == VariantNames.Stable).Endpoints.Single();
var canary = routes.Variants.Single(v => v.Name == VariantNames.Canary).Endpoints.Single();

// nginx as the same proxy: the same two replicas, weights 80/20, keep-alive connections, as many workers as cores.
var nginxPort = FreePort.Next();
var nginxConf = Path.Combine(root, "nginx.conf");
await File.WriteAllTextAsync(nginxConf, $$"""
    worker_processes auto;
    daemon off;
    pid {{root}}/nginx.pid;
    error_log stderr warn;
    events { worker_connections 4096; }
    http {
      access_log off;
      upstream bench { server {{new Uri(stable).Authority}} weight=80; server {{new Uri(canary).Authority}} weight=20; keepalive 128; }
      server {
        listen 127.0.0.1:{{nginxPort}};
        location / { proxy_pass http://bench; proxy_http_version 1.1; proxy_set_header Connection ""; }
      }
    }
    """);
using var nginx = Process.Start(new ProcessStartInfo("nginx", ["-c", nginxConf, "-p", root]) { RedirectStandardError = true })!;
await Task.Delay(500);

var script = Path.Combine(root, "post.lua");
await File.WriteAllTextAsync(script, """
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.body = '{"inputs":[{"name":"a","datatype":"FP32","shape":[1,3],"data":[1,2,3]},{"name":"b","datatype":"FP32","shape":[1,3],"data":[4,5,6]}]}'
    """);

// YARP with nothing of ours, in front of the same two replicas: the floor the gateway is built on.
var floorPort = FreePort.Next();
await using var floor = ServerProcess.Start(
    Path.Combine(RepositoryPaths.Root, "bench/YarpFloor/bin/Release/net10.0/YarpFloor.dll"),
    floorPort,
    new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Production", ["BACKENDS"] = $"{stable} {canary}" },
    "--urls", $"http://127.0.0.1:{floorPort}");
await floor.WaitUntilOkAsync("/v2/health/ready", TimeSpan.FromSeconds(60));

const string InferPath = "/v2/models/bench/infer";
var targets = new (string Name, string Url, Func<IEnumerable<int>> Proxy)[]
{
    ("direct (one replica)", stable + InferPath, () => []),
    ("nginx 1.22 (weighted 80/20)", $"http://127.0.0.1:{nginxPort}{InferPath}", () => [nginx.Id, .. ChildrenOf(nginx.Id)]),
    ("gateway (weighted 80/20)", $"http://127.0.0.1:{gatewayPort}{InferPath}", () => [gateway.ProcessId]),
    ("YARP alone (round-robin, reference)", $"http://127.0.0.1:{floorPort}{InferPath}", () => [floor.ProcessId]),
};

Console.WriteLine($"{Environment.ProcessorCount} cores; wrk 1 thread, {connections} connections, {seconds} s per target after a 3 s warm-up");
var results = new List<(string Name, double Rps, double P50, double P99, string Errors, double CpuPerRequest)>();
foreach (var (name, url, proxy) in targets)
{
    await RunWrkAsync(url, 3, connections, script);
    var cpuBefore = CpuSeconds(proxy());
    var output = await RunWrkAsync(url, seconds, connections, script);
    var cpu = CpuSeconds(proxy()) - cpuBefore;
    var rps = Number(output, @"Requests/sec:\s+([\d.]+)");
    results.Add((name, rps, Millis(output, "50%"), Millis(output, "99%"),
        Regex.Match(output, @"Non-2xx or 3xx responses: (\d+)") is { Success: true } m ? m.Groups[1].Value : "0",
        cpu / (rps * seconds) * 1e6));
}

// How long a weight change takes to reach the gateway: from the PUT to the gateway applying the new table.
var propagation = new List<double>();
for (var i = 0; i < 10; i++)
{
    var version = await GatewayVersionAsync(gateway.BaseAddress);
    var clock = Stopwatch.StartNew();
    (await api.PutAsJsonAsync("/v1/deployments/bench/traffic", new { canary = i % 2 == 0 ? 30 : 20 })).EnsureSuccessStatusCode();
    while (await GatewayVersionAsync(gateway.BaseAddress) <= version)
    {
        await Task.Delay(1);
    }

    propagation.Add(clock.Elapsed.TotalMilliseconds);
}

// The master's SIGQUIT lets its workers finish and exit with it; killing it alone would orphan them.
using (var stop = Process.Start("nginx", ["-c", nginxConf, "-p", root, "-s", "quit"]))
{
    await stop.WaitForExitAsync();
}

await nginx.WaitForExitAsync();
var direct = results[0];
var nginxResult = results[1];
Console.WriteLine();
Console.WriteLine("| target | req/s | p50 ms | p99 ms | non-2xx | throughput vs nginx | p50 added over direct | proxy CPU per request |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
foreach (var r in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {r.Name} | {r.Rps:F0} | {r.P50:F3} | {r.P99:F3} | {r.Errors} | {r.Rps / nginxResult.Rps:P0} | {r.P50 - direct.P50:F3} | {r.CpuPerRequest:F0} µs |"));
}

var sorted = propagation.Order().ToList();
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Weight change, PUT to applied in the gateway (workflow + publish + watch + YARP update): p50 {sorted[sorted.Count / 2]:F1} ms, max {sorted[^1]:F1} ms over {sorted.Count}"));
Directory.Delete(root, recursive: true);
return 0;

// User plus system CPU seconds of these processes so far, from /proc (clock ticks of 1/100 s).
static double CpuSeconds(IEnumerable<int> pids) => pids.Sum(pid =>
{
    var fields = StatFields(pid);
    return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
});

// nginx's workers, whose CPU is the proxy's as much as the master's.
static IEnumerable<int> ChildrenOf(int parent) =>
    Directory.GetDirectories("/proc")
        .Select(Path.GetFileName)
        .Where(name => name!.All(char.IsAsciiDigit))
        .Select(name => int.Parse(name!, CultureInfo.InvariantCulture))
        .Where(pid => { try { return StatFields(pid)[1] == parent.ToString(CultureInfo.InvariantCulture); } catch (IOException) { return false; } })
        .ToList();

// The fields of /proc/{pid}/stat after the command name, which may itself hold spaces: [0] is the state, [1] the parent.
static string[] StatFields(int pid)
{
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
}

// Extra gateway settings for experiments, as GATEWAY_ENV="Key=Value;Key=Value".
static IEnumerable<KeyValuePair<string, string>> ExtraEnvironment() =>
    (Environment.GetEnvironmentVariable("GATEWAY_ENV") ?? string.Empty)
        .Split(';', StringSplitOptions.RemoveEmptyEntries)
        .Select(pair => pair.Split('=', 2))
        .Select(parts => KeyValuePair.Create(parts[0], parts[1]));

static async Task<ModelRoute> WaitForRoutesAsync(HttpClient api, Uri gateway)
{
    while (true)
    {
        var table = await api.GetFromJsonAsync<RouteTable>("/v1/routes");
        var route = table?.Models.SingleOrDefault(m => m.Name == "bench");
        if (route is not null && route.Variants.Count == 2 && route.Variants.All(v => v.Endpoints.Count == 1) &&
            await GatewayVersionAsync(gateway) >= table!.Version)
        {
            return route;
        }

        await Task.Delay(50);
    }
}

static async Task<long> GatewayVersionAsync(Uri gateway)
{
    using var client = new HttpClient { BaseAddress = gateway };
    var health = await client.GetFromJsonAsync<JsonObject>("/readyz");
    return health?["checks"]?["routes"]?["data"]?["routeTableVersion"]?.GetValue<long>() ?? 0;
}

static async Task<string> RunWrkAsync(string url, int seconds, int connections, string script)
{
    using var wrk = Process.Start(new ProcessStartInfo("wrk", ["-t1", $"-c{connections}", $"-d{seconds}s", "--latency", "-s", script, url])
    {
        RedirectStandardOutput = true,
    })!;
    var output = await wrk.StandardOutput.ReadToEndAsync();
    await wrk.WaitForExitAsync();
    return output;
}

static double Number(string output, string pattern) =>
    double.Parse(Regex.Match(output, pattern).Groups[1].Value, CultureInfo.InvariantCulture);

// wrk prints latencies as 1.23ms, 456.00us or 1.02s.
static double Millis(string output, string percentile)
{
    var match = Regex.Match(output, $@"\s{Regex.Escape(percentile)}\s+([\d.]+)(us|ms|s)");
    var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
}
