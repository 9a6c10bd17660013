using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using ModelPlatform.Contracts;
using ModelPlatform.SampleInference.Grpc.V2;
using ModelPlatform.Testing;

namespace ModelPlatform.Bench.Inference;

/// <summary>
/// ResNet18 over REST with binary tensors and over gRPC with raw tensors, straight to a replica and
/// through the gateway, in one run against the same replica: the platform as deployed (a deployer
/// with one ResNet18 replica, a gateway following it with its gRPC port open).
/// </summary>
internal static class GrpcComparison
{
    private const string Model = "resnet18";

    public static async Task<List<LoadResult>> RunAsync(
        int[] levels, TimeSpan warmUp, TimeSpan duration, string input, long[] shape, byte[] imageBytes, byte[] binaryHeader, byte[] binaryBody)
    {
        var root = Directory.CreateTempSubdirectory("modelplatform-grpcbench-").FullName;
        string Built(string folder, string assembly) => Path.Combine(RepositoryPaths.Root, "services", folder, "bin/Release/net10.0", assembly + ".dll");
        var production = new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning", ["DOTNET_ENVIRONMENT"] = "Production" };

        var deployerPort = FreePort.Next();
        await using var deployer = ServerProcess.Start(Built("deployer", "ModelPlatform.Deployer"), deployerPort, new Dictionary<string, string>(production)
        {
            ["Deployer__DataDirectory"] = Path.Combine(root, "data"),
            ["Deployer__ModelRoots__0"] = Path.GetDirectoryName(RepositoryPaths.ResNet18Model)!,
            ["Deployer__Processes__InferenceServerPath"] = Built("sample-inference", "ModelPlatform.SampleInference"),
        }, "--urls", $"http://127.0.0.1:{deployerPort}");
        await deployer.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));
        var gatewayPort = FreePort.Next();
        var gatewayGrpcPort = FreePort.Next();
        await using var gateway = ServerProcess.Start(Built("gateway", "ModelPlatform.Gateway"), gatewayPort, new Dictionary<string, string>(production)
        {
            ["Deployer__Url"] = deployer.BaseAddress.ToString(),
            ["Deployer__TokenFile"] = Path.Combine(root, "data", AdminTokenFile.FileName),
            ["Gateway__GrpcPort"] = gatewayGrpcPort.ToString(CultureInfo.InvariantCulture),
        }, "--urls", $"http://127.0.0.1:{gatewayPort}");
        await gateway.WaitUntilOkAsync("/readyz", TimeSpan.FromSeconds(60));

        using var api = new HttpClient { BaseAddress = deployer.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", AdminTokenFile.Read(Path.Combine(root, "data", AdminTokenFile.FileName)));
        (await api.PostAsJsonAsync("/v1/deployments", new
        {
            name = Model,
            stable = new { model = new { format = "onnx", uri = RepositoryPaths.ResNet18Model }, replicas = 1 },
        })).EnsureSuccessStatusCode();
        var replica = await WaitForRouteAsync(api, gateway.BaseAddress);
        var (rest, grpc) = (replica.Endpoints.Single(), replica.GrpcEndpoints!.Values.Single());
        Console.WriteLine($"replica REST {rest}, gRPC {grpc}; gateway REST {gateway.BaseAddress}, gRPC http://127.0.0.1:{gatewayGrpcPort}");

        var request = new ModelInferRequest { ModelName = Model };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = input, Datatype = "FP32", Shape = { shape } });
        request.RawInputContents.Add(ByteString.CopyFrom(imageBytes));

        var targets = new (string Name, Uri RestAddress, Uri GrpcAddress)[]
        {
            ("direct", new Uri(rest), new Uri(grpc)),
            ("gateway", gateway.BaseAddress, new Uri($"http://127.0.0.1:{gatewayGrpcPort}")),
        };
        var results = new List<LoadResult>();
        foreach (var (name, restAddress, grpcAddress) in targets)
        {
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = restAddress };
            using var channel = GrpcChannel.ForAddress(grpcAddress, new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024, MaxSendMessageSize = 16 * 1024 * 1024 });
            var stub = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            // Through the gateway, its own CPU per request is what the route costs, apart from the model's time.
            Func<double>? gatewayCpu = name == "gateway" ? () => ProcessStat.CpuSeconds(gateway.ProcessId) : null;
            if (name == "gateway")
            {
                // Every kind of call through the gateway, long enough for the runtime to finish compiling its hot
                // paths, before any is measured: after 3 s of each, a profile still found the JIT compiler at 36 % of
                // the gateway's CPU in the next row measured; after 20 s, at 3 %.
                var most = levels.Max();
                var gatewayWarmUp = TimeSpan.FromSeconds(Math.Max(20, warmUp.TotalSeconds));
                await LoadRunner.RunAsync("warm-up", most, gatewayWarmUp, TimeSpan.Zero, () => InferRestAsync(client, binaryHeader, binaryBody));
                await LoadRunner.RunAsync("warm-up", most, gatewayWarmUp, TimeSpan.Zero, () => InferAsync(stub, request, null));
                await LoadRunner.RunAsync("warm-up", most, gatewayWarmUp, TimeSpan.Zero, () => InferAsync(stub, request, new Metadata { { "x-model-name", Model } }));
            }

            foreach (var concurrency in levels)
            {
                results.Add(await LoadRunner.RunAsync($"{name} REST binary", concurrency, warmUp, duration, () => InferRestAsync(client, binaryHeader, binaryBody), gatewayCpu));
                results.Add(await LoadRunner.RunAsync($"{name} gRPC raw", concurrency, warmUp, duration, () => InferAsync(stub, request, null), gatewayCpu));
                if (name == "gateway")
                {
                    // The same call naming its model in x-model-name: the gateway skips reading the name from the message.
                    results.Add(await LoadRunner.RunAsync($"{name} gRPC raw, x-model-name", concurrency, warmUp, duration,
                        () => InferAsync(stub, request, new Metadata { { "x-model-name", Model } }), gatewayCpu));
                }
            }
        }

        return results;
    }

    private static async Task<bool> InferRestAsync(HttpClient client, byte[] binaryHeader, byte[] binaryBody)
    {
        using var content = new ByteArrayContent(binaryBody);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", binaryHeader.Length.ToString(CultureInfo.InvariantCulture));
        using var response = await client.PostAsync($"/v2/models/{Model}/infer", content);
        await response.Content.ReadAsByteArrayAsync();
        return response.IsSuccessStatusCode;
    }

    private static async Task<bool> InferAsync(GRPCInferenceService.GRPCInferenceServiceClient stub, ModelInferRequest request, Metadata? headers)
    {
        try
        {
            var response = await stub.ModelInferAsync(request, headers);
            return response.RawOutputContents.Count == 1;
        }
        catch (RpcException)
        {
            return false;
        }
    }

    private static async Task<VariantRoute> WaitForRouteAsync(HttpClient api, Uri gateway)
    {
        using var probe = new HttpClient { BaseAddress = gateway };
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (DateTime.UtcNow < deadline)
        {
            var table = await api.GetFromJsonAsync<RouteTable>("/v1/routes");
            var variant = table?.Models.SingleOrDefault(m => m.Name == Model)?.Variants.SingleOrDefault();
            var health = await probe.GetFromJsonAsync<JsonObject>("/readyz");
            var seen = health?["checks"]?["routes"]?["data"]?["routeTableVersion"]?.GetValue<long>() ?? 0;
            if (variant is { Endpoints.Count: 1, GrpcEndpoints.Count: 1 } && seen >= table!.Version)
            {
                return variant;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("ResNet18 did not become ready behind the gateway.");
    }
}
