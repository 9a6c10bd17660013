using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelPlatform.SampleInference.Grpc.V2;
using ModelPlatform.SampleInference.Tests.Fixtures;

namespace ModelPlatform.SampleInference.Tests;

/// <summary>Triton's HTTP extensions that its clients and perf analyzer call, in Triton's JSON shapes.</summary>
public sealed class ExtensionTests(AddMulServer server) : IClassFixture<AddMulServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Server_metadata_lists_the_extensions_served()
    {
        var metadata = await GetAsync("/v2");

        Assert.Equal(["binary_tensor_data", "model_configuration", "statistics"], metadata["extensions"]!.AsArray().Select(e => e!.GetValue<string>()));
    }

    [Fact]
    public async Task Model_configuration_has_tritons_shape()
    {
        var config = await GetAsync("/v2/models/add-mul/config");
        var versioned = await GetAsync("/v2/models/add-mul/versions/1/config");

        Assert.Equal("add-mul", config["name"]!.GetValue<string>());
        Assert.Equal("onnxruntime_onnx", config["platform"]!.GetValue<string>());
        Assert.Equal("onnxruntime", config["backend"]!.GetValue<string>());
        Assert.Equal(0, config["max_batch_size"]!.GetValue<int>());
        var input = config["input"]!.AsArray().Single(i => i!["name"]!.GetValue<string>() == "a")!;
        Assert.Equal("TYPE_FP32", input["data_type"]!.GetValue<string>());
        Assert.Equal([-1L, 3], input["dims"]!.AsArray().Select(d => d!.GetValue<long>()));
        Assert.Equal(["sum", "product"], config["output"]!.AsArray().Select(o => o!["name"]!.GetValue<string>()));
        Assert.Equal("KIND_CPU", config["instance_group"]![0]!["kind"]!.GetValue<string>());
        Assert.Equal(config.ToJsonString(), versioned.ToJsonString());
    }

    [Fact]
    public async Task Statistics_count_rest_and_grpc_inferences_and_failures()
    {
        var before = Stats(await GetAsync("/v2/models/add-mul/stats"));

        var (status, _) = await server.InferJsonAsync(AddMul(), Ct);
        var request = new ModelInferRequest { ModelName = "add-mul" };
        foreach (var name in new[] { "a", "b" })
        {
            var input = new ModelInferRequest.Types.InferInputTensor { Name = name, Datatype = "FP32", Contents = new InferTensorContents() };
            input.Shape.Add([1, 3]);
            input.Contents.Fp32Contents.Add([1f, 2f, 3f]);
            request.Inputs.Add(input);
        }

        await server.Grpc.ModelInferAsync(request, cancellationToken: Ct);
        var bad = AddMul();
        bad["inputs"]![0]!["shape"] = new JsonArray(1, 4);
        await server.InferJsonAsync(bad, Ct);
        var after = await GetAsync("/v2/models/add-mul/stats");
        var all = await GetAsync("/v2/models/stats");

        Assert.Equal(200, status);
        var stats = Stats(after);
        Assert.Equal("add-mul", stats["name"]!.GetValue<string>());
        Assert.Equal("1", stats["version"]!.GetValue<string>());
        Assert.Equal(Count(before, "success") + 2, Count(stats, "success"));
        Assert.Equal(Count(before, "fail") + 1, Count(stats, "fail"));
        Assert.Equal(Count(stats, "success"), stats["inference_count"]!.GetValue<long>());
        Assert.Equal(Count(stats, "success"), stats["execution_count"]!.GetValue<long>());
        Assert.True(Count(stats, "compute_infer") >= 2);
        Assert.True(stats["inference_stats"]!["success"]!["ns"]!.GetValue<long>() > 0);
        Assert.True(stats["last_inference"]!.GetValue<long>() > 0);
        Assert.Equal(1, stats["batch_stats"]![0]!["batch_size"]!.GetValue<long>());
        Assert.Equal("add-mul", Stats(all)["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Repository_index_lists_the_model_and_its_state()
    {
        using var all = await server.Client.PostAsync("/v2/repository/index", null, Ct);
        using var ready = await server.Client.PostAsJsonAsync("/v2/repository/index", new JsonObject { ["ready"] = true }, Ct);
        using var bad = await server.Client.PostAsJsonAsync("/v2/repository/index", new JsonObject { ["ready"] = "yes" }, Ct);

        var entry = Assert.Single(JsonNode.Parse(await all.Content.ReadAsStringAsync(Ct))!.AsArray())!;
        Assert.Equal("add-mul", entry["name"]!.GetValue<string>());
        Assert.Equal("1", entry["version"]!.GetValue<string>());
        Assert.Equal("READY", entry["state"]!.GetValue<string>());
        Assert.Single(JsonNode.Parse(await ready.Content.ReadAsStringAsync(Ct))!.AsArray());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("'ready' must be true or false", await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("POST", "/v2/repository/models/add-mul/load", "model_repository's load")]
    [InlineData("GET", "/v2/systemsharedmemory/status", "system_shared_memory")]
    [InlineData("POST", "/v2/cudasharedmemory/region/r/register", "cuda_shared_memory")]
    [InlineData("GET", "/v2/trace/setting", "trace")]
    public async Task Unsupported_extensions_answer_with_a_v2_error_that_names_them(string method, string path, string extension)
    {
        using var response = await server.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsObject();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith($"The {extension} extension is not supported", V2Requests.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Extensions_of_a_model_not_served_are_not_found()
    {
        using var config = await server.Client.GetAsync("/v2/models/nope/config", Ct);
        using var stats = await server.Client.GetAsync("/v2/models/nope/stats", Ct);

        Assert.Equal(HttpStatusCode.NotFound, config.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, stats.StatusCode);
        Assert.Contains("not served here", await stats.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    private async Task<JsonObject> GetAsync(string path)
    {
        using var response = await server.Client.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsObject();
    }

    private static JsonObject Stats(JsonObject response) => Assert.Single(response["model_stats"]!.AsArray())!.AsObject();

    private static long Count(JsonObject stats, string stage) => stats["inference_stats"]![stage]!["count"]!.GetValue<long>();

    private static JsonObject AddMul() => V2Requests.Request(
        V2Requests.Input("a", "FP32", [1, 3], [1f, 2f, 3f]),
        V2Requests.Input("b", "FP32", [1, 3], [4f, 5f, 6f]));
}
