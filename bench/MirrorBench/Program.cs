using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelPlatform.Bench.Mirror;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

// What mirroring costs stable's callers: p50/p99 through the gateway at a low, steady request rate
// (wrk on one connection, pausing 1000/rate ms after each answer, so the cores stay mostly idle) with
// mirror 0 and mirror 100, on the same replicas in one run, the two settings alternating so drift
// hits both alike.
// Usage: MirrorBench [requests per second] [seconds per phase] [rounds]
var rate = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 15;
var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2;

PacedLoad.EnsureInstalled();
var root = Directory.CreateTempSubdirectory("modelplatform-mirrorbench-").FullName;
var model = TestModels.WriteAddMul(root);
string Built(string folder, string assembly) => Path.Combine(RepositoryPaths.Root, "services", folder, "bin/Release/net10.0", assembly + ".dll");

var deployerPort = FreePort.Next();
await using var deployer = ServerProcess.Start(Built("deployer", "ModelPlatform.Deployer"), deployerPort, new Dictionary<string, string>
{
    ["Deployer__DataDirectory"] = Path.Combine(root, "data"),
    ["Deployer__RateLimit__RequestsPerSecond"] = "1000000",
    ["Deployer__RateLimit__Burst"] = "1000000",
    ["Deployer__ModelRoots__0"] = root,
    ["Deployer__Processes__InferenceServerPath"] = Built("sample-inference", "ModelPlatform.SampleInference"),
    ["Logging__LogLevel__Default"] = "Warning",
    ["DOTNET_ENVIRONMENT"] = "Production",
}, "--urls", $"http://127.0.0.1:{deployerPort}");
await deployer.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));
var gatewayPort = FreePort.Next();
await using var gateway = ServerProcess.Start(Built("gateway", "ModelPlatform.Gateway"), gatewayPort, new Dictionary<string, string>
{
    ["Deployer__Url"] = deployer.BaseAddress.ToString(),
    ["Deployer__TokenFile"] = Path.Combine(root, "data", AdminTokenFile.FileName),
    ["Logging__LogLevel__Default"] = "Warning",
    ["DOTNET_ENVIRONMENT"] = "Production",
}, "--urls", $"http://127.0.0.1:{gatewayPort}");
await gateway.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));

using var api = new HttpClient { BaseAddress = deployer.BaseAddress };
api.DefaultRequestHeaders.Authorization = new("Bearer", AdminTokenFile.Read(Path.Combine(root, "data", AdminTokenFile.FileName)));
(await api.PostAsJsonAsync("/v1/deployments", new
{
    name = "bench",
    stable = new { model = new { format = "onnx", uri = model }, replicas = 1 },
    // The same model under a file:// URI: a second replica set, which agrees with stable.
    canary = new { model = new { format = "onnx", uri = new Uri(model).AbsoluteUri }, replicas = 1 },
    traffic = new { canary = 0 },
})).EnsureSuccessStatusCode();
await WaitForGatewayAsync(api, gateway.BaseAddress, mirror: 0);

var pause = TimeSpan.FromMilliseconds(1000.0 / rate);
var script = PacedLoad.WriteScript(root, """{"inputs":[{"name":"a","datatype":"FP32","shape":[1,3],"data":[1,2,3]},{"name":"b","datatype":"FP32","shape":[1,3],"data":[4,5,6]}]}""", pause);
var url = new Uri(gateway.BaseAddress, "/v2/models/bench/infer").ToString();
await PacedLoad.RunAsync(script, url, 5); // warm-up: JIT, connection pools

var results = new Dictionary<int, List<double>> { [0] = [], [100] = [] };
var roundMedians = new Dictionary<int, List<double>> { [0] = [], [100] = [] };
var busy = new Dictionary<int, List<double>> { [0] = [], [100] = [] };
var gatewayCpu = new Dictionary<int, double> { [0] = 0, [100] = 0 };
var failures = new Dictionary<int, int> { [0] = 0, [100] = 0 };
for (var round = 0; round < rounds; round++)
{
    foreach (var mirror in new[] { 0, 100 })
    {
        (await api.PutAsJsonAsync("/v1/deployments/bench/traffic", new { canary = 0, mirror })).EnsureSuccessStatusCode();
        await WaitForGatewayAsync(api, gateway.BaseAddress, mirror);
        var cpuBefore = CpuTimes();
        var gatewayBefore = ProcessStat.CpuSeconds(gateway.ProcessId);
        var (latencies, failed) = await PacedLoad.RunAsync(script, url, seconds);
        var cpuAfter = CpuTimes();
        gatewayCpu[mirror] += ProcessStat.CpuSeconds(gateway.ProcessId) - gatewayBefore;
        results[mirror].AddRange(latencies);
        failures[mirror] += failed;
        busy[mirror].Add(100.0 * (1 - ((double)(cpuAfter.Idle - cpuBefore.Idle) / (cpuAfter.Total - cpuBefore.Total))));
        roundMedians[mirror].Add(Percentile(latencies, 50));
        Console.Error.WriteLine($"round {round + 1}, mirror {mirror}: p50 {Percentile(latencies, 50):F3} ms, p99 {Percentile(latencies, 99):F3} ms");
    }
}

var comparison = await api.GetFromJsonAsync<JsonObject>("/v1/deployments/bench/comparison");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{Environment.ProcessorCount} cores; wrk, 1 connection, {pause.TotalMilliseconds:F1} ms after each answer ({(results[0].Count + results[100].Count) / (2.0 * rounds * seconds):F0} requests/s measured); {rounds} x {seconds} s per setting, alternating"));
Console.WriteLine("| mirror | requests | failed | p50 ms | p99 ms | cores busy | gateway CPU µs/req |");
Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
foreach (var mirror in new[] { 0, 100 })
{
    var all = results[mirror];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {mirror} | {all.Count} | {failures[mirror]} | {Percentile(all, 50):F3} | {Percentile(all, 99):F3} | {busy[mirror].Average():F0}% | {gatewayCpu[mirror] * 1e6 / all.Count:F0} |"));
}

var added = (Percentile(results[100], 50) / Percentile(results[0], 50)) - 1;
// Each round's two settings ran back to back, so each pair's ratio is free of the drift between rounds.
var paired = roundMedians[100].Zip(roundMedians[0], (mirrored, plain) => (mirrored / plain) - 1).ToList();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"added p50 at mirror 100: {added * 100:F1}% pooled; round by round {string.Join(", ", paired.Select(r => $"{r * 100:+0.0;-0.0}%"))} (median {Median(paired) * 100:+0.0;-0.0}%)"));
Console.WriteLine($"comparison: mirrored {comparison?["mirrored"]}, compared {comparison?["compared"]}, dropped {comparison?["dropped"]}, " +
    $"canary errors {comparison?["canaryErrors"]}, disagreeing {comparison?["disagreeing"]}");
return 0;

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

static double Percentile(List<double> values, double percentile)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
}

// The machine's CPU time in jiffies: all of it, and idle (idle + iowait), from /proc/stat.
static (long Total, long Idle) CpuTimes()
{
    var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
    return (fields.Sum(), fields[3] + fields[4]);
}

static async Task WaitForGatewayAsync(HttpClient api, Uri gateway, int mirror)
{
    using var client = new HttpClient { BaseAddress = gateway };
    while (true)
    {
        var table = await api.GetFromJsonAsync<RouteTable>("/v1/routes");
        var route = table?.Models.SingleOrDefault(m => m.Name == "bench");
        var health = await client.GetFromJsonAsync<JsonObject>("/readyz");
        var seen = health?["checks"]?["routes"]?["data"]?["routeTableVersion"]?.GetValue<long>() ?? 0;
        if (route is not null && route.Mirror == mirror && route.Variants.Count == 2 && route.Variants.All(v => v.Endpoints.Count == 1) && seen >= table!.Version)
        {
            return;
        }

        await Task.Delay(50);
    }
}
