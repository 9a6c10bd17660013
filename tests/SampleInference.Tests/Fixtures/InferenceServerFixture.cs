using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Grpc.Net.Client;
using ModelPlatform.SampleInference.Grpc.V2;
using ModelPlatform.Testing;
using ModelPlatform.Testing.Onnx;

namespace ModelPlatform.SampleInference.Tests.Fixtures;

/// <summary>Starts the reference server as a real process once per test class, and stops it after.</summary>
public abstract class InferenceServerFixture : IAsyncLifetime
{
    private readonly string _models = Directory.CreateTempSubdirectory("modelplatform-models-").FullName;
    private ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("The server is not started.");

    public HttpClient Client { get; private set; } = null!;

    /// <summary>A stock gRPC client of the server's <c>GRPC_PORT</c>.</summary>
    internal GRPCInferenceService.GRPCInferenceServiceClient Grpc { get; private set; } = null!;

    private GrpcChannel? _channel;

    public abstract string ModelName { get; }

    protected string ModelsDirectory => _models;

    /// <summary>The contract's environment for this server: MODEL_URI and anything else.</summary>
    protected abstract Dictionary<string, string> Environment();

    public async ValueTask InitializeAsync()
    {
        var port = FreePort.Next();
        var environment = Environment();
        environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var grpcPort = FreePort.Next();
        environment["GRPC_PORT"] = grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["MODEL_NAME"] = ModelName;
        environment.TryAdd("Inference__BindAddress", "127.0.0.1");
        _server = ServerProcess.Start(RepositoryPaths.SampleInferenceDll, port, environment);
        await _server.WaitUntilOkAsync("/v2/health/ready", TimeSpan.FromSeconds(60));
        Client = new HttpClient { BaseAddress = _server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        Grpc = new GRPCInferenceService.GRPCInferenceServiceClient(_channel);
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        _channel?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(_models, recursive: true);
        GC.SuppressFinalize(this);
    }

    public async Task<(int Status, JsonObject Body)> InferJsonAsync(JsonObject request, CancellationToken cancellationToken)
    {
        using var response = await Client.PostAsJsonAsync($"/v2/models/{ModelName}/infer", request, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        return ((int)response.StatusCode, body!);
    }
}

public sealed class ResNetServer : InferenceServerFixture
{
    public const long BodyLimit = 8L * 1024 * 1024;

    public override string ModelName => "resnet18";

    protected override Dictionary<string, string> Environment() => new()
    {
        ["MODEL_URI"] = RepositoryPaths.ResNet18Model,
        ["Inference__MaxRequestBodyBytes"] = BodyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

public sealed class AllTypesServer : InferenceServerFixture
{
    public override string ModelName => "all-types";

    protected override Dictionary<string, string> Environment() => new()
    {
        ["MODEL_URI"] = TestModels.WriteAllTypesIdentity(ModelsDirectory),
    };
}

public sealed class AddMulServer : InferenceServerFixture
{
    public override string ModelName => "add-mul";

    // A file:// URI, the contract's other spelling of MODEL_URI.
    protected override Dictionary<string, string> Environment() => new()
    {
        ["MODEL_URI"] = new Uri(TestModels.WriteAddMul(ModelsDirectory)).AbsoluteUri,
    };
}

/// <summary>Every datatype that has a typed gRPC field (all but FP16 and BF16), so a request can carry them all typed.</summary>
public sealed class TypedTypesServer : InferenceServerFixture
{
    public static readonly IReadOnlyList<(string Datatype, OnnxType Type)> Datatypes =
        [.. TestModels.Datatypes.Where(d => d.Datatype is not ("FP16" or "BF16"))];

    public override string ModelName => "typed-types";

    protected override Dictionary<string, string> Environment()
    {
        var graph = new OnnxGraph("typed_types");
        foreach (var (datatype, type) in Datatypes)
        {
            graph.Input(TestModels.InputName(datatype), type, "batch", 2)
                .Output(TestModels.OutputName(datatype), type, "batch", 2)
                .Node("Identity", [TestModels.InputName(datatype)], [TestModels.OutputName(datatype)]);
        }

        return new() { ["MODEL_URI"] = graph.Save(Path.Combine(ModelsDirectory, "typed_types.onnx")) };
    }
}

/// <summary>A slow model behind one inference at a time and no queue: the second is refused as busy.</summary>
public sealed class OneAtATimeServer : InferenceServerFixture
{
    public override string ModelName => "counter";

    protected override Dictionary<string, string> Environment() => new()
    {
        ["MODEL_URI"] = TestModels.WriteCountingLoop(ModelsDirectory),
        ["Inference__MaxConcurrentInferences"] = "1",
        ["Inference__MaxQueuedInferences"] = "0",
    };
}
