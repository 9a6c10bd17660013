using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

// The deployer on the embedded runtime: API latency, time to Ready, time to gone, and throughput,
// next to the floor it cannot beat, measured in the same run: starting the reference server by hand
// and waiting for it to be ready. Usage: DeployerBench [rounds] [small-deployments]
var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var many = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
var root = Directory.CreateTempSubdirectory("modelplatform-bench-").FullName;
var tiny = TestModels.WriteAddMul(root);
var resnet = RepositoryPaths.ResNet18Model;
var deployerDll = Path.Combine(RepositoryPaths.Root, "services/deployer/bin/Release/net10.0/ModelPlatform.Deployer.dll");
var serverDll = Path.Combine(RepositoryPaths.Root, "services/sample-inference/bin/Release/net10.0/ModelPlatform.SampleInference.dll");

Console.WriteLine($"{Environment.ProcessorCount} cores; {rounds} rounds; {many} small deployments");

// Reference: the reference server started by hand, until /v2/health/ready answers 200.
var floor = new List<double>();
for (var i = 0; i < rounds; i++)
{
    var port = FreePort.Next();
    var clock = Stopwatch.StartNew();
    await using var server = ServerProcess.Start(serverDll, port, new Dictionary<string, string>
    {
        ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
        ["MODEL_URI"] = resnet,
        ["MODEL_NAME"] = "resnet18",
        ["Inference__BindAddress"] = "127.0.0.1",
        ["Inference__ExecutionProvider"] = "Cpu",
        ["DOTNET_ENVIRONMENT"] = "Production",
    });
    await WaitOkAsync(server.BaseAddress, "/v2/health/ready");
    floor.Add(clock.Elapsed.TotalMilliseconds);
}

var deployerPort = FreePort.Next();
await using var deployer = ServerProcess.Start(deployerDll, deployerPort, new Dictionary<string, string>
{
    ["Deployer__DataDirectory"] = Path.Combine(root, "data"),
    // The benchmark is one client polling fast; the per-client limit is not what it measures.
    ["Deployer__RateLimit__RequestsPerSecond"] = "1000000",
    ["Deployer__RateLimit__Burst"] = "1000000",
    // It keeps 100 API-only deployments and then POSTs the burst next to them: more than the
    // default quota, which is not what it measures either.
    ["Deployer__MaxDeployments"] = (100 + many + 1).ToString(CultureInfo.InvariantCulture),
    ["Deployer__ModelRoots__0"] = root,
    ["Deployer__ModelRoots__1"] = Path.GetDirectoryName(resnet)!,
    ["Deployer__Processes__InferenceServerPath"] = serverDll,
    ["Logging__LogLevel__Default"] = "Warning",
    // Measured as deployed: ServerProcess defaults to Development for the tests' sake.
    ["DOTNET_ENVIRONMENT"] = "Production",
}, "--urls", $"http://127.0.0.1:{deployerPort}");
await deployer.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));
using var client = new HttpClient { BaseAddress = deployer.BaseAddress };
client.DefaultRequestHeaders.Authorization = new("Bearer", AdminTokenFile.Read(Path.Combine(root, "data", AdminTokenFile.FileName)));

// Warm the API (JIT, connection) before timing it.
for (var i = 0; i < 20; i++)
{
    (await client.GetAsync("/v1/deployments")).Dispose();
}

var accepted = new List<double>();
var ready = new List<double>();
var gone = new List<double>();
var deleteAccepted = new List<double>();
for (var i = 0; i < rounds; i++)
{
    var name = $"resnet-{i}";
    var clock = Stopwatch.StartNew();
    using (var response = await client.PostAsJsonAsync("/v1/deployments", Request(name, resnet, 1)))
    {
        accepted.Add(clock.Elapsed.TotalMilliseconds);
        await EnsureAcceptedAsync(response);
    }

    await WaitPhaseAsync(client, name, "Ready");
    ready.Add(clock.Elapsed.TotalMilliseconds);

    clock.Restart();
    using (var response = await client.DeleteAsync($"/v1/deployments/{name}"))
    {
        deleteAccepted.Add(clock.Elapsed.TotalMilliseconds);
        response.EnsureSuccessStatusCode();
    }

    while ((await client.GetAsync($"/v1/deployments/{name}")).StatusCode != System.Net.HttpStatusCode.NotFound)
    {
        await Task.Delay(5);
    }

    gone.Add(clock.Elapsed.TotalMilliseconds);
}

// API latency alone: deployments with no replicas, so nothing but the API, the store and the workflow.
var apiOnly = new List<double>();
for (var i = 0; i < 100; i++)
{
    var clock = Stopwatch.StartNew();
    using var response = await client.PostAsJsonAsync("/v1/deployments", Request($"api-{i}", tiny, 0));
    apiOnly.Add(clock.Elapsed.TotalMilliseconds);
    await EnsureAcceptedAsync(response);
}

// Throughput: many small deployments at once, each one real replica of a tiny model.
var burst = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, many).Select(async i =>
{
    using var response = await client.PostAsJsonAsync("/v1/deployments", Request($"small-{i}", tiny, 1));
    await EnsureAcceptedAsync(response);
}));
await Task.WhenAll(Enumerable.Range(0, many).Select(i => WaitPhaseAsync(client, $"small-{i}", "Ready")));
var burstSeconds = burst.Elapsed.TotalSeconds;
await Task.WhenAll(Enumerable.Range(0, many).Select(async i => (await client.DeleteAsync($"/v1/deployments/small-{i}")).Dispose()));
for (var i = 0; i < 100; i++)
{
    (await client.DeleteAsync($"/v1/deployments/api-{i}")).Dispose();
}

Console.WriteLine();
Console.WriteLine("| measure | p50 ms | p99 ms | n |");
Console.WriteLine("|---|---:|---:|---:|");
Row("reference: start the reference server by hand until ready (ResNet18)", floor);
Row("POST accepted (ResNet18, 1 replica)", accepted);
Row("POST accepted (no replicas: API, store, workflow start)", apiOnly);
Row("POST to Ready (ResNet18, 1 replica)", ready);
Row("DELETE accepted", deleteAccepted);
Row("DELETE to gone (replica stopped, record removed)", gone);
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{many} small deployments (1 replica each) POSTed at once: all Ready in {burstSeconds:F2} s = {many / burstSeconds:F1} deploys/s"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"POST to Ready over the hand-started floor: {Percentile(ready, 50) - Percentile(floor, 50):F0} ms at p50"));
Console.WriteLine("Reported elsewhere, not measured here: a Go service of this kind at 150 ms to deploy and 30 ms to destroy (API time only).");

await deployer.DisposeAsync();
Directory.Delete(root, recursive: true);

static object Request(string name, string model, int replicas) =>
    new { name, stable = new { model = new { format = "onnx", uri = model }, replicas } };

// A refusal says why (the problem details), not only its status.
static async Task EnsureAcceptedAsync(HttpResponseMessage response)
{
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}

static async Task WaitPhaseAsync(HttpClient client, string name, string phase)
{
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed < TimeSpan.FromMinutes(2))
    {
        var body = await client.GetFromJsonAsync<JsonObject>($"/v1/deployments/{name}");
        if (body?["status"]?["phase"]?.GetValue<string>() == phase)
        {
            return;
        }

        await Task.Delay(5);
    }

    throw new TimeoutException($"{name} did not reach {phase}");
}

static async Task WaitOkAsync(Uri baseAddress, string path)
{
    using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(2) };
    while (true)
    {
        try
        {
            using var response = await client.GetAsync(path);
            if (response.IsSuccessStatusCode)
            {
                return;
            }
        }
        catch (HttpRequestException)
        {
        }

        await Task.Delay(5);
    }
}

static double Percentile(List<double> values, double p)
{
    var sorted = values.Order().ToArray();
    return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}

static void Row(string name, List<double> values) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {Percentile(values, 50):F1} | {Percentile(values, 99):F1} | {values.Count} |"));
