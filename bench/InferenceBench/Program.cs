using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using ModelPlatform.Bench.Inference;
using ModelPlatform.Testing;

// ResNet18 inference: the served JSON and binary paths next to ONNX Runtime called in-process,
// same model, same machine, same run. Usage: InferenceBench [seconds-per-run] [concurrency,...] [grpc]
// With "grpc": REST binary and gRPC raw, straight to a replica and through the gateway, instead.
var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
int[] levels = args.Length > 1 ? [.. args[1].Split(',').Select(int.Parse).Distinct()] : [1, 4, 8];
var grpcMode = args.Length > 2 && args[2] == "grpc";
var duration = TimeSpan.FromSeconds(seconds);
var warmUp = TimeSpan.FromSeconds(Math.Min(3, seconds / 2));
var server = Path.Combine(RepositoryPaths.Root, "services/sample-inference/bin/Release/net10.0/ModelPlatform.SampleInference.dll");
var model = RepositoryPaths.ResNet18Model;

const string Input = "Input247";
long[] shape = [1, 3, 224, 224];
var random = new Random(7);
var image = Enumerable.Range(0, 3 * 224 * 224).Select(_ => random.NextSingle()).ToArray();
var imageBytes = image.SelectMany(BitConverter.GetBytes).ToArray();
var jsonBody = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
{
    inputs = new[] { new { name = Input, datatype = "FP32", shape, data = image } },
}));
var binaryHeader = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
{
    inputs = new[] { new { name = Input, datatype = "FP32", shape, parameters = new Dictionary<string, object> { ["binary_data_size"] = imageBytes.Length } } },
    outputs = new[] { new { name = "Pooling395_Output_0", parameters = new Dictionary<string, object> { ["binary_data"] = true } } },
}));
byte[] binaryBody = [.. binaryHeader, .. imageBytes];

Console.WriteLine($"ResNet18 [1,3,224,224] FP32, {Environment.ProcessorCount} cores, {seconds:F0} s per run after {warmUp.TotalSeconds:F0} s warm-up");
Console.WriteLine($"JSON request body {jsonBody.Length / 1024} KiB, binary request body {binaryBody.Length / 1024} KiB");

if (grpcMode)
{
    var compared = await GrpcComparison.RunAsync(levels, warmUp, duration, Input, shape, imageBytes, binaryHeader, binaryBody);
    Console.WriteLine();
    Console.WriteLine("| path | concurrency | req/s | p50 ms | p99 ms | failed | throughput vs direct REST binary | gateway CPU µs/req |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var result in compared.OrderBy(r => r.Concurrency).ThenBy(r => r.Name, StringComparer.Ordinal))
    {
        var direct = compared.Single(r => r.Name == "direct REST binary" && r.Concurrency == result.Concurrency);
        var cpu = result.CpuMicrosPerRequest is { } micros ? micros.ToString("F0", CultureInfo.InvariantCulture) : "-";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {result.Name} | {result.Concurrency} | {result.Throughput:F1} | {result.Percentile(50):F1} | {result.Percentile(99):F1} | {result.Failures} | {result.Throughput / direct.Throughput:P0} | {cpu} |"));
    }

    return;
}

var results = new List<LoadResult>();

// In-process reference: the same session settings the server uses by default.
using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL })
using (var session = new InferenceSession(model, options))
{
    foreach (var concurrency in levels)
    {
        results.Add(await LoadRunner.RunAsync("in-process", concurrency, warmUp, duration, () => Task.Run(() =>
        {
            using var value = OrtValue.CreateTensorValueFromMemory(image, shape);
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, [Input], [value], session.OutputNames);
            return outputs.Count == 1;
        })));
    }
}

var port = FreePort.Next();
await using (var process = ServerProcess.Start(server, port, new Dictionary<string, string>
{
    ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
    ["MODEL_URI"] = model,
    ["MODEL_NAME"] = "resnet18",
    ["Inference__BindAddress"] = "127.0.0.1",
    ["Logging__LogLevel__Default"] = "Warning",
    // Measured as deployed: ServerProcess defaults to Development for the tests' sake.
    ["DOTNET_ENVIRONMENT"] = "Production",
}))
{
    await process.WaitUntilOkAsync("/v2/health/ready", TimeSpan.FromSeconds(60));
    using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = process.BaseAddress };
    var url = "/v2/models/resnet18/infer";
    foreach (var concurrency in levels)
    {
        results.Add(await LoadRunner.RunAsync("served JSON", concurrency, warmUp, duration, async () =>
        {
            using var content = new ByteArrayContent(jsonBody);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await client.PostAsync(url, content);
            await response.Content.ReadAsByteArrayAsync();
            return response.IsSuccessStatusCode;
        }));
        results.Add(await LoadRunner.RunAsync("served binary", concurrency, warmUp, duration, async () =>
        {
            using var content = new ByteArrayContent(binaryBody);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Headers.Add("Inference-Header-Content-Length", binaryHeader.Length.ToString(CultureInfo.InvariantCulture));
            using var response = await client.PostAsync(url, content);
            await response.Content.ReadAsByteArrayAsync();
            return response.IsSuccessStatusCode;
        }));
    }
}

Console.WriteLine();
Console.WriteLine("| path | concurrency | req/s | p50 ms | p99 ms | failed | throughput vs in-process |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
foreach (var result in results.OrderBy(r => r.Concurrency).ThenBy(r => r.Name, StringComparer.Ordinal))
{
    var reference = results.Single(r => r.Name == "in-process" && r.Concurrency == result.Concurrency);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {result.Name} | {result.Concurrency} | {result.Throughput:F1} | {result.Percentile(50):F1} | {result.Percentile(99):F1} | {result.Failures} | {result.Throughput / reference.Throughput:P0} |"));
}
