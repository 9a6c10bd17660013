using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

// The gateway's cost per request next to YARP alone (the floor it is built on), nginx configured as
// the same weighted reverse proxy (the outside anchor) and the backend called directly, in one run
// against the same replicas, with wrk as the load. Each proxy row gives its CPU time per request
// (from /proc) and, for the .NET proxies, the bytes it allocated per request (from the runtime's
// counter, read through bench/AllocationProbe).
// Usage: GatewayBench [seconds] [connections] [rounds]
// Settings (environment of this program):
//   PROXY_ENV="K=V;K=V"     added to the gateway and YARP alone alike (runtime and Kestrel knobs)
//   GATEWAY_ENV="K=V;K=V"   added to every gateway row only
//   GATEWAY_ROWS="name:K=V;K=V|name:K=V"  more gateway rows, each its own gateway with these settings
//                           on top (a feature switched on or off); {stable} and {canary} in a value
//                           become the replicas' addresses (a mirror target, for instance)
//   GATEWAY_DEFAULT_ROWS=0  leaves out the built-in "OpenTelemetry off" and "ASP.NET Core's meters on" rows
var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
var connections = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1;
foreach (var tool in new[] { "nginx", "wrk" })
{
    if (!File.Exists($"/usr/sbin/{tool}") && !File.Exists($"/usr/bin/{tool}"))
    {
        Console.Error.WriteLine($"{tool} is missing: install nginx and wrk (Debian/Ubuntu: apt-get install nginx-light wrk)");
        return 2;
    }
}

var root = Directory.CreateTempSubdirectory("modelplatform-gwbench-").FullName;
var model = TestModels.WriteAddMul(root);
string Built(string folder, string assembly) => Path.Combine(RepositoryPaths.Root, folder, "bin/Release/net10.0", assembly + ".dll");
var probeHook = Built("bench/AllocationProbe", "AllocationProbe");
if (!File.Exists(probeHook))
{
    Console.Error.WriteLine($"{probeHook} is missing: run bench/gateway.sh, which builds it");
    return 2;
}

var deployerPort = FreePort.Next();
await using var deployer = ServerProcess.Start(Built("services/deployer", "ModelPlatform.Deployer"), deployerPort, new Dictionary<string, string>
{
    ["Deployer__DataDirectory"] = Path.Combine(root, "data"),
    // The benchmark is one client polling fast; the per-client limit is not what it measures.
    ["Deployer__RateLimit__RequestsPerSecond"] = "1000000",
    ["Deployer__RateLimit__Burst"] = "1000000",
    ["Deployer__ModelRoots__0"] = root,
    ["Deployer__Processes__InferenceServerPath"] = Built("services/sample-inference", "ModelPlatform.SampleInference"),
    ["Logging__LogLevel__Default"] = "Warning",
    // Measured as deployed: ServerProcess defaults to Development for the tests' sake.
    ["DOTNET_ENVIRONMENT"] = "Production",
}, "--urls", $"http://127.0.0.1:{deployerPort}");
await deployer.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));

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
var routes = await WaitForRoutesAsync(api, "bench");
// The same deployment again with every request stable serves copied to its canary: the row that shows
// what mirroring costs in this bench (its own replicas, idle while the other rows run).
(await api.PostAsJsonAsync("/v1/deployments", new
{
    name = "bench-mirrored",
    stable = variant,
    canary = new { model = new { format = "onnx", uri = new Uri(model).AbsoluteUri }, replicas = 1 },
    traffic = new { canary = 20, mirror = 100 },
})).EnsureSuccessStatusCode();
await WaitForRoutesAsync(api, "bench-mirrored");
var stable = routes.Variants.Single(v => v.Name == VariantNames.Stable).Endpoints.Single();
var canary = routes.Variants.Single(v => v.Name == VariantNames.Canary).Endpoints.Single();

// Probed processes: the socket each one's allocation counter answers on.
var probes = new Dictionary<int, string>();
var proxyEnvironment = Settings(Environment.GetEnvironmentVariable("PROXY_ENV"));
Dictionary<string, string> Probed(string name, IEnumerable<KeyValuePair<string, string>> environment)
{
    var settings = environment.Concat(proxyEnvironment).ToDictionary();
    settings["DOTNET_STARTUP_HOOKS"] = probeHook;
    settings["ALLOCATION_PROBE_SOCKET"] = Path.Combine(root, name + ".alloc.sock");
    return settings;
}

// The gateway rows: its defaults, then each setting whose per-request cost the bench shows.
var rows = new List<(string Name, IReadOnlyList<KeyValuePair<string, string>> Settings)> { ("gateway (defaults)", []) };
if (Environment.GetEnvironmentVariable("GATEWAY_DEFAULT_ROWS") != "0")
{
    // The gateway's own metrics are on by default (for Prometheus and the dashboard); ASP.NET Core's are off unless configured.
    rows.Add(("gateway, OpenTelemetry off", [KeyValuePair.Create("OTEL_SDK_DISABLED", "true")]));
    rows.Add(("gateway, ASP.NET Core's meters on", [KeyValuePair.Create("Gateway__Telemetry__Meters__0", "Microsoft.AspNetCore.*")]));
}

foreach (var row in (Environment.GetEnvironmentVariable("GATEWAY_ROWS") ?? string.Empty).Split('|', StringSplitOptions.RemoveEmptyEntries))
{
    var (name, settings) = row.IndexOf(':') is var colon and > 0 ? (row[..colon], row[(colon + 1)..]) : (row, string.Empty);
    rows.Add(("gateway, " + name.Trim(), [.. Settings(settings.Replace("{stable}", stable, StringComparison.Ordinal).Replace("{canary}", canary, StringComparison.Ordinal))]));
}

var gateways = new List<(string Name, ServerProcess Process)>();
foreach (var (name, settings) in rows)
{
    var port = FreePort.Next();
    var process = ServerProcess.Start(Built("services/gateway", "ModelPlatform.Gateway"), port, Probed($"gateway{gateways.Count}", new Dictionary<string, string>
    {
        ["Deployer__Url"] = deployer.BaseAddress.ToString(),
        // The deployer made its quickstart admin token on start; the gateway reads it, as in the app host.
        ["Deployer__TokenFile"] = Path.Combine(root, "data", AdminTokenFile.FileName),
        ["Logging__LogLevel__Default"] = "Warning",
        // Measured as deployed: ServerProcess defaults to Development for the tests' sake.
        ["DOTNET_ENVIRONMENT"] = "Production",
    }.Concat(Settings(Environment.GetEnvironmentVariable("GATEWAY_ENV"))).Concat(settings)), "--urls", $"http://127.0.0.1:{port}");
    probes[process.ProcessId] = Path.Combine(root, $"gateway{gateways.Count}.alloc.sock");
    gateways.Add((name, process));
}

foreach (var (_, process) in gateways)
{
    await process.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));
    await WaitForGatewayAsync(api, process.BaseAddress);
}

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
    Built("bench/YarpFloor", "YarpFloor"),
    floorPort,
    Probed("floor", new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Production", ["BACKENDS"] = $"{stable} {canary}" }),
    "--urls", $"http://127.0.0.1:{floorPort}");
probes[floor.ProcessId] = Path.Combine(root, "floor.alloc.sock");
await floor.WaitUntilOkAsync("/v2/health/ready", TimeSpan.FromSeconds(60));

const string InferPath = "/v2/models/bench/infer";
const string Floor = "YARP alone (round-robin, reference)";
const string Nginx = "nginx (weighted 80/20, anchor)";
var targets = new List<(string Name, string Url, Func<IReadOnlyList<int>> Proxy)>
{
    ("direct (one replica)", stable + InferPath, () => []),
    (Nginx, $"http://127.0.0.1:{nginxPort}{InferPath}", () => [nginx.Id, .. ChildrenOf(nginx.Id)]),
    (Floor, $"http://127.0.0.1:{floorPort}{InferPath}", () => [floor.ProcessId]),
};
targets.AddRange(gateways.Select(g => (g.Name, new Uri(g.Process.BaseAddress, InferPath).ToString(), (Func<IReadOnlyList<int>>)(() => [g.Process.ProcessId]))));
if (Environment.GetEnvironmentVariable("GATEWAY_DEFAULT_ROWS") != "0")
{
    // The gateway's CPU only: the canary's model runs for each copy are on the same two cores and cost throughput too.
    var defaults = gateways[0].Process;
    targets.Add(("gateway (defaults), mirror 100", new Uri(defaults.BaseAddress, "/v2/models/bench-mirrored/infer").ToString(), () => [defaults.ProcessId]));
}

Console.WriteLine($"{Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the start; " +
    $"wrk 1 thread, {connections} connections, {seconds} s per target after a 3 s warm-up, {rounds} round(s), medians shown");
var samples = targets.ToDictionary(t => t.Name, _ => new List<Sample>());
for (var round = 0; round < rounds; round++)
{
    foreach (var (name, url, proxy) in targets)
    {
        await RunWrkAsync(url, 3, connections, script);
        var pids = proxy();
        var cpuBefore = CpuSeconds(pids);
        var allocatedBefore = await AllocatedAsync(pids);
        var output = await RunWrkAsync(url, seconds, connections, script);
        var allocated = await AllocatedAsync(pids) - allocatedBefore;
        var cpu = CpuSeconds(pids) - cpuBefore;
        var requests = Number(output, @"(\d+) requests in");
        samples[name].Add(new Sample(
            Number(output, @"Requests/sec:\s+([\d.]+)"), Millis(output, "50%"), Millis(output, "99%"),
            Regex.Match(output, @"Non-2xx or 3xx responses: (\d+)") is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            cpu / requests * 1e6, allocated is { } bytes ? bytes / requests : null));
    }
}

// How long a weight change takes to reach the gateway: from the PUT to the gateway applying the new table.
var propagation = new List<double>();
var firstGateway = gateways[0].Process.BaseAddress;
for (var i = 0; i < 10; i++)
{
    var version = await GatewayVersionAsync(firstGateway);
    var clock = Stopwatch.StartNew();
    (await api.PutAsJsonAsync("/v1/deployments/bench/traffic", new { canary = i % 2 == 0 ? 30 : 20 })).EnsureSuccessStatusCode();
    while (await GatewayVersionAsync(firstGateway) <= version)
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
foreach (var (_, process) in gateways)
{
    await process.DisposeAsync();
}

var results = targets.Select(t => (t.Name, Result: Sample.Median(samples[t.Name]))).ToList();
var direct = results[0].Result;
var anchor = results.Single(r => r.Name == Nginx).Result;
var reference = results.Single(r => r.Name == Floor).Result;
Console.WriteLine();
Console.WriteLine("| target | req/s | p50 ms | p99 ms | non-2xx | CPU µs/req | alloc B/req | CPU vs YARP alone | p50 added over YARP alone | CPU vs nginx | req/s vs nginx | p50 added over direct |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var (name, r) in results)
{
    var isProxy = !ReferenceEquals(r, direct);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {r.Rps:F0} | {r.P50:F3} | {r.P99:F3} | {r.Errors} | {(isProxy ? $"{r.CpuMicros:F1}" : "-")} | {(r.AllocBytes is { } b ? $"{b:F0}" : "-")} | " +
        $"{(isProxy ? $"{r.CpuMicros / reference.CpuMicros - 1:+0%;-0%;0%}" : "-")} | {r.P50 - reference.P50:+0.000;-0.000;0.000} | " +
        $"{(isProxy ? $"{r.CpuMicros / anchor.CpuMicros:F2}x" : "-")} | {r.Rps / anchor.Rps:P0} | {r.P50 - direct.P50:F3} |"));
}

var sorted = propagation.Order().ToList();
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Weight change, PUT to applied in the gateway (workflow + publish + watch + YARP update): p50 {sorted[sorted.Count / 2]:F1} ms, max {sorted[^1]:F1} ms over {sorted.Count}"));
Console.WriteLine($"Targets (issue 18): gateway CPU per request at most +10% over YARP alone, p50 at most +0.050 ms over it.");
Directory.Delete(root, recursive: true);
return 0;

// The bytes the probed processes among these allocated so far; null when none of them is probed.
async Task<double?> AllocatedAsync(IReadOnlyList<int> pids)
{
    double? total = null;
    foreach (var pid in pids)
    {
        if (probes.TryGetValue(pid, out var path))
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
            await using var stream = new NetworkStream(socket);
            using var reader = new StreamReader(stream);
            total = (total ?? 0) + long.Parse((await reader.ReadLineAsync())!, CultureInfo.InvariantCulture);
        }
    }

    return total;
}

// User plus system CPU seconds of these processes so far.
static double CpuSeconds(IEnumerable<int> pids) => pids.Sum(ProcessStat.CpuSeconds);

// nginx's workers, whose CPU is the proxy's as much as the master's.
static IEnumerable<int> ChildrenOf(int parent) =>
    Directory.GetDirectories("/proc")
        .Select(Path.GetFileName)
        .Where(name => name!.All(char.IsAsciiDigit))
        .Select(name => int.Parse(name!, CultureInfo.InvariantCulture))
        .Where(pid => { try { return ProcessStat.ParentOf(pid) == parent; } catch (IOException) { return false; } })
        .ToList();

// Settings written as "Key=Value;Key=Value".
static IEnumerable<KeyValuePair<string, string>> Settings(string? text) =>
    (text ?? string.Empty)
        .Split(';', StringSplitOptions.RemoveEmptyEntries)
        .Select(pair => pair.Split('=', 2))
        .Select(parts => KeyValuePair.Create(parts[0].Trim(), parts.Length > 1 ? parts[1] : string.Empty));

static async Task<ModelRoute> WaitForRoutesAsync(HttpClient api, string model)
{
    while (true)
    {
        var table = await api.GetFromJsonAsync<RouteTable>("/v1/routes");
        var route = table?.Models.SingleOrDefault(m => m.Name == model);
        if (route is not null && route.Variants.Count == 2 && route.Variants.All(v => v.Endpoints.Count == 1))
        {
            return route;
        }

        await Task.Delay(50);
    }
}

// Until the gateway has applied the deployer's current route table.
static async Task WaitForGatewayAsync(HttpClient api, Uri gateway)
{
    var table = await api.GetFromJsonAsync<RouteTable>("/v1/routes");
    while (await GatewayVersionAsync(gateway) < table!.Version)
    {
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

/// <summary>One target's figures from one wrk run.</summary>
internal sealed record Sample(double Rps, double P50, double P99, long Errors, double CpuMicros, double? AllocBytes)
{
    /// <summary>Each figure's median over the rounds (of the rounds that had one, for allocations).</summary>
    public static Sample Median(IReadOnlyList<Sample> samples) => new(
        Mid(samples.Select(s => s.Rps)), Mid(samples.Select(s => s.P50)), Mid(samples.Select(s => s.P99)),
        samples.Sum(s => s.Errors), Mid(samples.Select(s => s.CpuMicros)),
        samples.Any(s => s.AllocBytes is not null) ? Mid(samples.Where(s => s.AllocBytes is not null).Select(s => s.AllocBytes!.Value)) : null);

    private static double Mid(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
