using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelPlatform.Bench.Rollout;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

// A rollout at a steady request rate through the gateway, on this machine: the deployer, a gateway
// and real replicas. First a canary failing half its requests (it refuses them with 400, where stable
// answers them: the client-error gate's case), added with a rollout whose first step is 5%: seconds
// from its first failure to its rollback, and the share of all requests that failed.
// Then a good canary's rollout: latency through a gateway whose telemetry feeds the rollout, against
// one with telemetry off, in the same run. Usage: RolloutBench [requests-per-second] [seconds]
var rate = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 100;
var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60;
var root = Directory.CreateTempSubdirectory("modelplatform-rollout-bench-").FullName;
var addMul = TestModels.WriteAddMul(root);
var failing = CanaryModels.WriteRefusingEvenCorner(root);
string Release(string service, string assembly) => Path.Combine(RepositoryPaths.Root, $"services/{service}/bin/Release/net10.0/{assembly}.dll");

// At 5% of 100 req/s the canary gets 5 a second: 20 of them take 4 s, and half failing is far past
// the 2% client-error limit. Stable has its 20 at once. The bake time only holds a passing step.
var policy = new JsonObject
{
    ["steps"] = new JsonArray(5, 25, 50),
    ["bakeSeconds"] = 10,
    ["minCanaryRequests"] = 20,
    ["minStableRequests"] = 20,
};
Console.WriteLine($"{Environment.ProcessorCount} cores; {rate} req/s; failing run {seconds} s; policy {policy.ToJsonString()}; default Deployer:Rollouts and Gateway:Telemetry settings");

var deployerPort = FreePort.Next();
await using var deployer = ServerProcess.Start(Release("deployer", "ModelPlatform.Deployer"), deployerPort, new Dictionary<string, string>
{
    ["Deployer__DataDirectory"] = Path.Combine(root, "data"),
    ["Deployer__RateLimit__RequestsPerSecond"] = "1000000",
    ["Deployer__RateLimit__Burst"] = "1000000",
    ["Deployer__ModelRoots__0"] = root,
    ["Deployer__Processes__InferenceServerPath"] = Release("sample-inference", "ModelPlatform.SampleInference"),
    ["Logging__LogLevel__Default"] = "Warning",
    ["DOTNET_ENVIRONMENT"] = "Production",
}, "--urls", $"http://127.0.0.1:{deployerPort}");
await deployer.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));
var token = AdminTokenFile.Read(Path.Combine(root, "data", AdminTokenFile.FileName));
using var client = new HttpClient { BaseAddress = deployer.BaseAddress };
client.DefaultRequestHeaders.Authorization = new("Bearer", token);

// Telemetry on: the gateway whose counts the deployer judges by. Off: no reports, and no
// OpenTelemetry SDK, so its meters record nothing (the in-process per-variant totals still add up:
// no setting turns those off).
await using var measured = await StartGatewayAsync(("Gateway__Telemetry__ReportToDeployer", "true"));
await using var unmeasured = await StartGatewayAsync(("Gateway__Telemetry__ReportToDeployer", "false"), ("OTEL_SDK_DISABLED", "true"));
using var measuredClient = new HttpClient { BaseAddress = measured.BaseAddress };
using var unmeasuredClient = new HttpClient { BaseAddress = unmeasured.BaseAddress };

object Request(float corner) => new
{
    inputs = new object[]
    {
        new { name = "a", datatype = "FP32", shape = new[] { 1, 3 }, data = new[] { corner, 2f, 3f } },
        new { name = "b", datatype = "FP32", shape = new[] { 1, 3 }, data = new[] { 4f, 5f, 6f } },
    },
};
object Variant(string uri, string? tag = null) => new
{
    model = new { format = "onnx", uri },
    replicas = 1,
    env = tag is null ? null : new Dictionary<string, string> { ["VARIANT"] = tag },
};

// 1. The failing canary.
await DeployAsync("failing", Variant(addMul), null);
var failingLoad = new OpenLoopLoad([measuredClient], "failing", [Request(1), Request(2)], rate);
TimeSpan? rolledBackAt = null;
var run = failingLoad.RunAsync(() => failingLoad.Elapsed > TimeSpan.FromSeconds(seconds) && rolledBackAt is not null);
await Task.Delay(TimeSpan.FromSeconds(3));
(await client.PutAsJsonAsync("/v1/deployments/failing", new { stable = Variant(addMul), canary = Variant(failing), rollout = policy })).EnsureSuccessStatusCode();
string? outcome = null;
while (rolledBackAt is null)
{
    var rollout = (await client.GetFromJsonAsync<Deployment>("/v1/deployments/failing", DeployerHarness.Json))!.Status.Rollout;
    if (rollout is not null && RolloutStates.IsFinal(rollout.State))
    {
        rolledBackAt = failingLoad.Elapsed;
        outcome = $"{rollout.State}: {rollout.Reason}";
    }

    await Task.Delay(100);
}

await run;
var answers = failingLoad.Answers.ToList();
var canaryFailures = answers.Where(a => a.Variant == VariantNames.Canary && a.Status != 200).Select(a => a.At).Order().ToList();
var lastCanary = answers.Where(a => a.Variant == VariantNames.Canary).Max(a => a.At);
var failed = answers.Count(a => a.Status is < 200 or >= 300);
Console.WriteLine($"failing canary: {outcome}");
if (canaryFailures.Count == 0)
{
    Console.WriteLine("  the canary never failed: nothing to time");
}
else
{
    Console.WriteLine($"  first canary failure -> rollout rolled back (status): {(rolledBackAt!.Value - canaryFailures[0]).TotalSeconds:0.0} s (target < 15 s)");
    Console.WriteLine($"  first canary failure -> last request the canary served: {(lastCanary - canaryFailures[0]).TotalSeconds:0.0} s");
}

Console.WriteLine($"  requests {answers.Count} in {failingLoad.Elapsed.TotalSeconds:0} s, failed {failed} ({100.0 * failed / answers.Count:0.00} %, target < 0.5 %), by the canary {canaryFailures.Count}");

// 2. A good canary's rollout: the same requests through both gateways, alternately, while it walks its steps.
await DeployAsync("good", Variant(addMul), null);
var goodLoad = new OpenLoopLoad([measuredClient, unmeasuredClient], "good", [Request(1)], rate);
var finished = false;
var goodRun = goodLoad.RunAsync(() => finished);
(await client.PutAsJsonAsync("/v1/deployments/good", new { stable = Variant(addMul), canary = Variant(addMul, "canary"), rollout = policy })).EnsureSuccessStatusCode();
string? goodOutcome = null;
var deadline = Stopwatch.StartNew();
while (goodOutcome is null && deadline.Elapsed < TimeSpan.FromMinutes(5))
{
    var rollout = (await client.GetFromJsonAsync<Deployment>("/v1/deployments/good", DeployerHarness.Json))!.Status.Rollout;
    goodOutcome = rollout is not null && RolloutStates.IsFinal(rollout.State) ? $"{rollout.State}: {rollout.Reason}" : null;
    await Task.Delay(200);
}

finished = true;
await goodRun;
Console.WriteLine($"good canary: {goodOutcome ?? "not finished in 5 min"} after {goodLoad.Elapsed.TotalSeconds:0} s, {goodLoad.Answers.Count} requests, {goodLoad.Answers.Count(a => a.Status != 200)} not 200");
var on = Quantiles(goodLoad.Answers.Where(a => a.Gateway == 0));
var off = Quantiles(goodLoad.Answers.Where(a => a.Gateway == 1));
Console.WriteLine($"  telemetry on : p50 {on.P50:0.000} ms, p99 {on.P99:0.000} ms");
Console.WriteLine($"  telemetry off: p50 {off.P50:0.000} ms, p99 {off.P99:0.000} ms");
Console.WriteLine($"  added: p50 {100 * (on.P50 / off.P50 - 1):+0.0;-0.0} %, p99 {100 * (on.P99 / off.P99 - 1):+0.0;-0.0} % (target < 3 %)");

Directory.Delete(root, recursive: true);
return;

static (double P50, double P99) Quantiles(IEnumerable<Answer> answers)
{
    var sorted = answers.Where(a => a.Status == 200).Select(a => a.Latency.TotalMilliseconds).Order().ToArray();
    return (sorted[(int)(sorted.Length * 0.50)], sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))]);
}

async Task<ServerProcess> StartGatewayAsync(params (string Key, string Value)[] settings)
{
    var port = FreePort.Next();
    var environment = new Dictionary<string, string>
    {
        ["Deployer__Url"] = deployer.BaseAddress.ToString(),
        ["Deployer__Token"] = token,
        ["Logging__LogLevel__Default"] = "Warning",
        ["DOTNET_ENVIRONMENT"] = "Production",
    };
    foreach (var (key, value) in settings)
    {
        environment[key] = value;
    }

    var gateway = ServerProcess.Start(Release("gateway", "ModelPlatform.Gateway"), port, environment, "--urls", $"http://127.0.0.1:{port}");
    await gateway.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));
    return gateway;
}

async Task DeployAsync(string name, object stable, object? canary)
{
    (await client.PostAsJsonAsync("/v1/deployments", new { name, stable, canary, rollout = policy })).EnsureSuccessStatusCode();
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed < TimeSpan.FromMinutes(2))
    {
        using var probe = await measuredClient.PostAsJsonAsync($"/v2/models/{name}/infer", Request(1));
        using var other = await unmeasuredClient.PostAsJsonAsync($"/v2/models/{name}/infer", Request(1));
        if (probe.IsSuccessStatusCode && other.IsSuccessStatusCode)
        {
            return;
        }

        await Task.Delay(200);
    }

    throw new TimeoutException($"{name} did not answer through both gateways within 2 minutes.");
}
