using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

// Upload to first prediction through the CLI: `mp deploy resnet18.onnx` (a 45 MB file in a folder of
// its own) against a deployer and a gateway on this machine, then the first inference through the
// gateway with the sample body mp wrote; the phases are mp's own timings (--output json). Next to
// it, in the same run, the floor: the reference server started by hand on the same file until its
// first prediction. The deployer's phases come from the deployment's status in mp's output. Usage: CliBench [rounds] [warm-up rounds]
var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var warmupRounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var root = Directory.CreateTempSubdirectory("modelplatform-clibench-").FullName;
var models = Directory.CreateDirectory(Path.Combine(root, "user")).FullName;
var model = Path.Combine(models, "resnet18.onnx");
File.Copy(RepositoryPaths.ResNet18Model, model);
string Release(string path) => Path.Combine(RepositoryPaths.Root, path.Replace("{c}", "Release", StringComparison.Ordinal));
var deployerDll = Release("services/deployer/bin/{c}/net10.0/ModelPlatform.Deployer.dll");
var gatewayDll = Release("services/gateway/bin/{c}/net10.0/ModelPlatform.Gateway.dll");
var serverDll = Release("services/sample-inference/bin/{c}/net10.0/ModelPlatform.SampleInference.dll");
var mpDll = Release("clients/cli/bin/{c}/net10.0/mp.dll");

Console.WriteLine($"{Environment.ProcessorCount} cores; {rounds} rounds after {warmupRounds} unmeasured; {new FileInfo(model).Length / 1e6:F1} MB model");

// The floor: the reference server started by hand, until it answers its first prediction.
var body = SampleBody();
var floor = new List<double>();
for (var i = 0; i < rounds; i++)
{
    var port = FreePort.Next();
    var clock = Stopwatch.StartNew();
    await using var server = ServerProcess.Start(serverDll, port, new Dictionary<string, string>
    {
        ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
        ["MODEL_URI"] = model,
        ["MODEL_NAME"] = "resnet18",
        ["Inference__BindAddress"] = "127.0.0.1",
        ["Inference__ExecutionProvider"] = "Cpu",
        ["DOTNET_ENVIRONMENT"] = "Production",
    });
    await FirstPredictionAsync(server.BaseAddress, "resnet18", body);
    floor.Add(clock.Elapsed.TotalMilliseconds);
}

var deployerPort = FreePort.Next();
var gatewayPort = FreePort.Next();
var gatewayUrl = $"http://127.0.0.1:{gatewayPort}";
var data = Path.Combine(root, "data");
await using var deployer = ServerProcess.Start(deployerDll, deployerPort, new Dictionary<string, string>
{
    ["Deployer__DataDirectory"] = data,
    ["Deployer__PublicUrl"] = gatewayUrl,
    ["Deployer__RateLimit__RequestsPerSecond"] = "1000000",
    ["Deployer__RateLimit__Burst"] = "1000000",
    ["Deployer__Processes__InferenceServerPath"] = serverDll,
    ["Logging__LogLevel__Default"] = "Warning",
    ["DOTNET_ENVIRONMENT"] = "Production",
}, "--urls", $"http://127.0.0.1:{deployerPort}");
await deployer.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));
var tokenFile = Path.Combine(data, AdminTokenFile.FileName);
await using var gateway = ServerProcess.Start(gatewayDll, gatewayPort, new Dictionary<string, string>
{
    ["Deployer__Url"] = deployer.BaseAddress.ToString(),
    ["Deployer__TokenFile"] = tokenFile,
    ["Logging__LogLevel__Default"] = "Warning",
    ["DOTNET_ENVIRONMENT"] = "Production",
}, "--urls", gatewayUrl);
await gateway.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));
var environment = new Dictionary<string, string>
{
    ["MODELPLATFORM_DEPLOYER_URL"] = deployer.BaseAddress.ToString(),
    ["MODELPLATFORM_TOKEN_FILE"] = tokenFile,
};

// Unmeasured rounds first: the deployer and the gateway are long-running services, and a user's deploy
// meets them warm. In a fresh process the first deploys JIT their paths, and for several seconds after
// the runtime recompiles the busy methods on a background thread (in one deploy of a fresh deployer,
// 0.5 s of its CPU; during the delete after it, 0.9 s), which takes cores from the replica starting.
for (var i = 0; i < warmupRounds; i++)
{
    await DeployAsync($"warmup-{i}");
    await RunMpAsync("delete", $"warmup-{i}");
}

var total = new List<double>();
var phases = new Dictionary<string, List<double>> { ["upload"] = [], ["ready"] = [], ["served"] = [], ["mp exited"] = [] };
// The deployer's own account of the same deploy (status.variants.stable.phases): each phase's seconds since the one before.
var deployerPhases = new Dictionary<string, List<double>> { ["replicaStarted"] = [], ["ready"] = [], ["routed"] = [] };
for (var i = 0; i < rounds; i++)
{
    var name = $"resnet-{i}";
    var clock = Stopwatch.StartNew();
    var result = await DeployAsync(name);
    phases["mp exited"].Add(clock.Elapsed.TotalMilliseconds);
    await FirstPredictionAsync(new Uri(gatewayUrl), name, await File.ReadAllTextAsync(Path.Combine(models, $"{name}-request.json")));
    total.Add(clock.Elapsed.TotalMilliseconds);
    foreach (var phase in new[] { "upload", "ready", "served" })
    {
        phases[phase].Add(result["seconds"]![phase]!.GetValue<double>() * 1000);
    }

    foreach (var phase in result["deployment"]!["status"]!["variants"]!["stable"]!["phases"]!.AsArray())
    {
        if (deployerPhases.TryGetValue(phase!["phase"]!.GetValue<string>(), out var list))
        {
            list.Add(phase["seconds"]!.GetValue<double>() * 1000);
        }
    }

    await RunMpAsync("delete", name);
}

Console.WriteLine();
Console.WriteLine("| measure (ms since mp started, except the floor and the deployer's phases) | p50 ms | p99 ms | n |");
Console.WriteLine("|---|---:|---:|---:|");
Row("floor: reference server started by hand until its first prediction (ResNet18)", floor);
Row("mp: upload done (the file stored, its digest and inputs read)", phases["upload"]);
Row("mp: deployment Ready (revision applied, replica ready)", phases["ready"]);
Row("mp: the gateway serves it (GET /v2/models/{name}/ready 200)", phases["served"]);
Row("mp deploy exited (process start to exit)", phases["mp exited"]);
Row("upload to first prediction (mp deploy, then POST infer through the gateway)", total);
Row("deployer: model stored to replica process started (revision, workflow, launch)", deployerPhases["replicaStarted"]);
Row("deployer: replica started to ready (the server's start and model load, probed)", deployerPhases["ready"]);
Row("deployer: ready to routed (route table published)", deployerPhases["routed"]);
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Upload to first prediction over the hand-started floor: {Percentile(total, 50) - Percentile(floor, 50):F0} ms at p50; target: under 2000 ms in all"));

await gateway.DisposeAsync();
await deployer.DisposeAsync();
Directory.Delete(root, recursive: true);

async Task<JsonObject> DeployAsync(string name)
{
    var output = await RunMpAsync("deploy", "resnet18.onnx", "--name", name, "--output", "json");
    return JsonNode.Parse(output)!.AsObject();
}

async Task<string> RunMpAsync(params string[] mpArgs)
{
    var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = models };
    start.ArgumentList.Add(mpDll);
    foreach (var arg in mpArgs)
    {
        start.ArgumentList.Add(arg);
    }

    foreach (var (key, value) in environment)
    {
        start.Environment[key] = value;
    }

    using var process = Process.Start(start)!;
    var stdout = process.StandardOutput.ReadToEndAsync();
    var stderr = process.StandardError.ReadToEndAsync();
    await process.WaitForExitAsync();
    return process.ExitCode == 0
        ? await stdout
        : throw new InvalidOperationException($"mp {string.Join(' ', mpArgs)} exited {process.ExitCode}: {await stderr}");
}

static string SampleBody()
{
    var values = string.Join(',', Enumerable.Repeat("0", 3 * 224 * 224));
    return $$"""{"inputs":[{"name":"Input247","datatype":"FP32","shape":[1,3,224,224],"data":[{{values}}]}]}""";
}

static async Task FirstPredictionAsync(Uri baseAddress, string name, string request)
{
    using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed < TimeSpan.FromMinutes(2))
    {
        try
        {
            using var content = new StringContent(request, Encoding.UTF8, "application/json");
            using var response = await client.PostAsync($"/v2/models/{name}/infer", content);
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

    throw new TimeoutException($"{name} gave no prediction at {baseAddress}");
}

static double Percentile(List<double> values, double p)
{
    var sorted = values.Order().ToArray();
    return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}

static void Row(string name, List<double> values) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {Percentile(values, 50):F1} | {Percentile(values, 99):F1} | {values.Count} |"));
