using System.Buffers.Binary;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using ModelPlatform.Contracts;
using ModelPlatform.SampleInference.Grpc.V2;
using ModelPlatform.Testing;

namespace ModelPlatform.EndToEnd.Tests;

/// <summary>
/// The Open Inference Protocol over gRPC through the gateway, with a stock client generated from the
/// reference server's .proto and given only the gateway's gRPC address: every RPC, typed tensors
/// (add-mul's FP32) and raw ones of every datatype, errors as gRPC status codes, the canary split, pins, keys, and a replica killed under load.
/// </summary>
public sealed class GrpcGatewayTests(SuiteFixture suite) : IClassFixture<SuiteFixture>, IDisposable
{
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(suite.GatewayGrpc);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private GRPCInferenceService.GRPCInferenceServiceClient Client => new(_channel);

    public void Dispose() => _channel.Dispose();

    [Fact]
    public async Task Every_rpc_reaches_the_model_or_the_gateway()
    {
        await suite.DeployAsync("grpc-every", suite.ModelVariant(), null, 0, Ct);

        Assert.True((await Client.ServerLiveAsync(new ServerLiveRequest(), cancellationToken: Ct)).Live);
        Assert.True((await Client.ServerReadyAsync(new ServerReadyRequest(), cancellationToken: Ct)).Ready);
        Assert.True((await Client.ModelReadyAsync(new ModelReadyRequest { Name = "grpc-every" }, cancellationToken: Ct)).Ready);
        var metadata = await Client.ModelMetadataAsync(new ModelMetadataRequest { Name = "grpc-every" }, cancellationToken: Ct);
        using var call = Client.ModelInferAsync(AddMul("grpc-every"), cancellationToken: Ct);
        var response = await call.ResponseAsync;

        Assert.Equal("grpc-every", metadata.Name);
        Assert.Equal(["a", "b"], metadata.Inputs.Select(input => input.Name));
        Assert.Equal("grpc-every", response.ModelName);
        Assert.Equal([5f, 7f, 9f], response.Outputs.Single(o => o.Name == "sum").Contents.Fp32Contents);
        Assert.Equal([4f, 10f, 18f], response.Outputs.Single(o => o.Name == "product").Contents.Fp32Contents);
        Assert.Equal(VariantNames.Stable, (await call.ResponseHeadersAsync).GetValue("x-model-variant"));
    }

    [Fact]
    public async Task Server_metadata_lists_what_the_models_support_and_a_models_statistics_pass()
    {
        await suite.DeployAsync("grpc-extensions", suite.ModelVariant(), null, 0, Ct);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        ServerMetadataResponse metadata;
        do
        {
            metadata = await Client.ServerMetadataAsync(new ServerMetadataRequest(), cancellationToken: Ct);
        }
        while (!metadata.Extensions.Contains("model_configuration") && DateTime.UtcNow < deadline && await Delay());

        var rest = await suite.Gateway.GetFromJsonAsync<JsonObject>("/v2", Ct);
        var stats = await suite.Gateway.GetFromJsonAsync<JsonObject>("/v2/models/grpc-extensions/stats", Ct);
        Assert.Equal("modelplatform-gateway", metadata.Name);
        Assert.Equal(["binary_tensor_data", "model_configuration", "statistics"], metadata.Extensions);
        Assert.Equal(metadata.Extensions, rest!["extensions"]!.AsArray().Select(e => e!.GetValue<string>()));
        // The statistics extension of the model's own: passed on to one of its replicas.
        Assert.Equal("grpc-extensions", stats!["model_stats"]![0]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Raw_tensors_of_every_datatype_pass_through_unchanged()
    {
        var allTypes = TestModels.WriteAllTypesIdentity(suite.ModelsDirectory);
        await suite.DeployAsync("grpc-types", suite.ModelVariant(uri: allTypes), null, 0, Ct);
        var request = new ModelInferRequest { ModelName = "grpc-types" };
        foreach (var (datatype, _) in TestModels.Datatypes)
        {
            request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = TestModels.InputName(datatype), Datatype = datatype, Shape = { 1, 2 } });
            request.RawInputContents.Add(ByteString.CopyFrom(RawSample(datatype)));
        }

        var raw = await Client.ModelInferAsync(request, cancellationToken: Ct);

        Assert.Equal(TestModels.Datatypes.Count, raw.Outputs.Count);
        for (var i = 0; i < raw.Outputs.Count; i++)
        {
            var datatype = raw.Outputs[i].Datatype;
            Assert.Equal(TestModels.OutputName(datatype), raw.Outputs[i].Name);
            Assert.Equal(RawSample(datatype), raw.RawOutputContents[i].ToByteArray());
        }
    }

    [Fact]
    public async Task Errors_come_back_as_grpc_status_codes_with_their_reasons()
    {
        await suite.DeployAsync("grpc-errors", suite.ModelVariant(), null, 0, Ct);
        await suite.DeployAsync("grpc-empty", suite.ModelVariant(replicas: 0), null, 0, Ct);
        var badInput = AddMul("grpc-errors");
        badInput.Inputs[0].Name = "nope";

        var unknown = await Assert.ThrowsAsync<RpcException>(() => Client.ModelInferAsync(AddMul("nobody"), cancellationToken: Ct).ResponseAsync);
        var bad = await Assert.ThrowsAsync<RpcException>(() => Client.ModelInferAsync(badInput, cancellationToken: Ct).ResponseAsync);
        var nameless = await Assert.ThrowsAsync<RpcException>(() => Client.ModelInferAsync(AddMul(""), cancellationToken: Ct).ResponseAsync);
        var empty = await Assert.ThrowsAsync<RpcException>(() => Client.ModelInferAsync(AddMul("grpc-empty"), cancellationToken: Ct).ResponseAsync);
        var pin = await Assert.ThrowsAsync<RpcException>(() =>
            Client.ModelInferAsync(AddMul("grpc-errors"), new Metadata { { "x-model-variant", "blue" } }, cancellationToken: Ct).ResponseAsync);
        var server = await Assert.ThrowsAsync<RpcException>(() => _channel.CreateCallInvoker().AsyncUnaryCall(
            RepositoryIndex, null, new CallOptions(cancellationToken: Ct), new ModelReadyRequest { Name = "grpc-errors" }).ResponseAsync);

        Assert.Equal((StatusCode.NotFound, "No model named 'nobody' is deployed."), (unknown.StatusCode, unknown.Status.Detail));
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        Assert.Contains("nope", bad.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, nameless.StatusCode);
        Assert.Contains("x-model-name", nameless.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unavailable, empty.StatusCode);
        Assert.Contains("no healthy replica", empty.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, pin.StatusCode);
        Assert.Equal(StatusCode.Unimplemented, server.StatusCode);

        // Counted as REST's are: the replica's INVALID_ARGUMENT (in its trailers) as a 400, no replica as a 503.
        var metrics = await suite.Gateway.GetStringAsync("/metrics", Ct);
        Assert.Matches("""gateway_requests_total\{[^}]*model="grpc-errors"[^}]*status_code="400"[^}]*variant="stable"[^}]*\} [1-9]""", metrics);
        Assert.Matches("""gateway_requests_total\{[^}]*model="grpc-empty"[^}]*status_code="503"[^}]*\} [1-9]""", metrics);
    }

    [Fact]
    public async Task The_metadata_header_routes_ahead_of_the_name_in_the_message()
    {
        await suite.DeployAsync("grpc-header", suite.ModelVariant(), null, 0, Ct);

        var routed = await Client.ModelReadyAsync(new ModelReadyRequest { Name = "grpc-header" }, new Metadata { { "x-model-name", "grpc-header" } }, cancellationToken: Ct);
        var elsewhere = await Assert.ThrowsAsync<RpcException>(() =>
            Client.ModelReadyAsync(new ModelReadyRequest { Name = "grpc-header" }, new Metadata { { "x-model-name", "somebody-else" } }, cancellationToken: Ct).ResponseAsync);

        Assert.True(routed.Ready);
        Assert.Equal((StatusCode.NotFound, "No model named 'somebody-else' is deployed."), (elsewhere.StatusCode, elsewhere.Status.Detail));
    }

    [Fact]
    public async Task The_canary_split_and_pins_hold_over_grpc()
    {
        await suite.DeployAsync("grpc-split", suite.ModelVariant(), suite.ModelVariant(env: new() { ["VARIANT"] = "canary" }), 25, Ct);

        var served = new Dictionary<string, int>();
        for (var i = 0; i < 200; i++)
        {
            var variant = await InferAsync("grpc-split", pin: null);
            served[variant] = served.GetValueOrDefault(variant) + 1;
        }

        var pinned = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            pinned.Add(await InferAsync("grpc-split", pin: "Canary"));
        }

        Assert.InRange(served.GetValueOrDefault(VariantNames.Canary), 40, 60);
        Assert.Equal(200, served.Values.Sum());
        Assert.All(pinned, variant => Assert.Equal(VariantNames.Canary, variant));
    }

    [Fact]
    public async Task A_model_with_api_keys_answers_grpc_callers_with_a_key_only()
    {
        var key = BearerTokens.Generate();
        using (var create = await suite.Client.PostAsJsonAsync("/v1/deployments", new
        {
            name = "grpc-guarded",
            stable = suite.ModelVariant(),
            access = new { apiKeys = new[] { new { name = "team-a", sha256 = BearerTokens.Sha256Hex(key) } } },
        }, Ct))
        {
            create.EnsureSuccessStatusCode();
        }

        await suite.WaitForReadyAsync("grpc-guarded", Ct);
        await suite.WaitForGatewaySyncAsync(Ct);

        var without = await Assert.ThrowsAsync<RpcException>(() => Client.ModelInferAsync(AddMul("grpc-guarded"), cancellationToken: Ct).ResponseAsync);
        var with = await Client.ModelInferAsync(AddMul("grpc-guarded"), new Metadata { { "authorization", "Bearer " + key } }, cancellationToken: Ct);

        Assert.Equal(StatusCode.Unauthenticated, without.StatusCode);
        Assert.Equal("grpc-guarded", with.ModelName);
    }

    [Fact]
    public async Task A_canary_replica_killed_under_grpc_load_costs_no_call()
    {
        var ready = await suite.DeployAsync("grpc-killed", suite.ModelVariant(), suite.ModelVariant(env: new() { ["VARIANT"] = "canary" }), 50, Ct);
        var canaryPort = SuiteFixture.Port(ready.Status.Variants[VariantNames.Canary].Endpoints.Single());
        var canaryPid = suite.Replicas("grpc-killed").Single(pid => ReplicaProcesses.EnvironmentValue(pid, "PORT") == canaryPort);
        var kill = Task.Run(async () =>
        {
            await Task.Delay(500, Ct);
            ReplicaProcesses.Kill(canaryPid);
            await Task.Delay(2000, Ct);
        }, Ct);

        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var served = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!kill.IsCompleted)
            {
                try
                {
                    served.AddOrUpdate(await InferAsync("grpc-killed", pin: null), 1, (_, count) => count + 1);
                }
                catch (RpcException ex)
                {
                    failures.Add($"{ex.StatusCode}: {ex.Status.Detail}");
                }
            }
        }, Ct)));
        await kill;

        Assert.Empty(failures);
        Assert.True(served.GetValueOrDefault(VariantNames.Stable) > 0);

        // The deployer restarts the canary, the route table gives its new gRPC port, and the gateway sends it calls again.
        await suite.WaitForAsync("grpc-killed", d => d.Status.Phase == DeploymentPhase.Ready, cancellationToken: Ct);
        await suite.WaitForGatewaySyncAsync(Ct);
        Assert.Equal(VariantNames.Canary, await InferAsync("grpc-killed", pin: VariantNames.Canary));
    }

    [Fact]
    public async Task A_restarted_deployer_adopts_its_replicas_with_their_grpc_ports()
    {
        await suite.DeployAsync("grpc-adopted", suite.ModelVariant(), null, 0, Ct);
        var before = await GrpcEndpointsAsync("grpc-adopted");

        await suite.KillAsync();
        await suite.StartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var after = await GrpcEndpointsAsync("grpc-adopted");
        while (after.Count == 0 && DateTime.UtcNow < deadline && await Delay())
        {
            after = await GrpcEndpointsAsync("grpc-adopted");
        }

        Assert.Single(before);
        Assert.Equal(before, after);
        await suite.WaitForGatewaySyncAsync(Ct);
        Assert.True((await Client.ModelReadyAsync(new ModelReadyRequest { Name = "grpc-adopted" }, cancellationToken: Ct)).Ready);
    }

    private async Task<IReadOnlyDictionary<string, string>> GrpcEndpointsAsync(string model) =>
        (await suite.RoutesAsync(Ct)).Models.SingleOrDefault(m => m.Name == model)?.Variants.Single().GrpcEndpoints ?? new Dictionary<string, string>();

    private static readonly Method<ModelReadyRequest, ModelReadyResponse> RepositoryIndex = new(
        MethodType.Unary, "inference.GRPCInferenceService", "RepositoryIndex",
        Marshallers.Create(r => r.ToByteArray(), ModelReadyRequest.Parser.ParseFrom),
        Marshallers.Create(r => r.ToByteArray(), ModelReadyResponse.Parser.ParseFrom));

    /// <summary>One add-mul inference; the variant that served it.</summary>
    private async Task<string> InferAsync(string model, string? pin)
    {
        var headers = pin is null ? null : new Metadata { { "x-model-variant", pin } };
        using var call = Client.ModelInferAsync(AddMul(model), headers, cancellationToken: Ct);
        await call.ResponseAsync;
        return (await call.ResponseHeadersAsync).GetValue("x-model-variant") ?? string.Empty;
    }

    private static ModelInferRequest AddMul(string model) => new()
    {
        ModelName = model,
        Inputs =
        {
            new ModelInferRequest.Types.InferInputTensor { Name = "a", Datatype = "FP32", Shape = { 1, 3 }, Contents = new InferTensorContents { Fp32Contents = { 1f, 2f, 3f } } },
            new ModelInferRequest.Types.InferInputTensor { Name = "b", Datatype = "FP32", Shape = { 1, 3 }, Contents = new InferTensorContents { Fp32Contents = { 4f, 5f, 6f } } },
        },
    };

    /// <summary>Two elements of <paramref name="datatype"/> as the protocol's raw bytes (little-endian; BYTES length-prefixed).</summary>
    private static byte[] RawSample(string datatype)
    {
        switch (datatype)
        {
            case "BOOL":
                return [1, 0];
            case "BYTES":
                var first = Encoding.UTF8.GetBytes("héllo");
                var second = Encoding.UTF8.GetBytes("");
                var bytes = new byte[8 + first.Length + second.Length];
                BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)first.Length);
                first.CopyTo(bytes, 4);
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4 + first.Length), (uint)second.Length);
                return bytes;
            case "FP16":
                return [0x00, 0x3C, 0x00, 0xC0];
            case "BF16":
                return [0x80, 0x3F, 0x00, 0xC0];
            case "FP32":
                return [.. BitConverter.GetBytes(1.5f), .. BitConverter.GetBytes(-2f)];
            case "FP64":
                return [.. BitConverter.GetBytes(1.5d), .. BitConverter.GetBytes(-2d)];
            default:
                // Integers: 1 and the type's largest value, in the type's width.
                var width = datatype switch { "UINT8" or "INT8" => 1, "UINT16" or "INT16" => 2, "UINT32" or "INT32" => 4, _ => 8 };
                var sample = new byte[2 * width];
                sample[0] = 1;
                sample.AsSpan(width, width).Fill(0xFF);
                if (datatype.StartsWith("INT", StringComparison.Ordinal))
                {
                    sample[(2 * width) - 1] = 0x7F;
                }

                return sample;
        }
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(100, Ct);
        return true;
    }
}
