using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelPlatform.SampleInference.Tests.Fixtures;

namespace ModelPlatform.SampleInference.Tests;

public sealed class ServerEndpointsTests(ResNetServer server) : IClassFixture<ResNetServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Server_metadata_names_the_server_the_binary_extension_and_the_cpu_provider()
    {
        var metadata = await server.Client.GetFromJsonAsync<JsonObject>("/v2", Ct);

        Assert.Equal("modelplatform-sample-inference", metadata!["name"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(metadata["version"]!.GetValue<string>()));
        Assert.Contains("binary_tensor_data", metadata["extensions"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal("CPU", metadata["execution_provider"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/v2/health/live")]
    [InlineData("/v2/health/ready")]
    [InlineData("/v2/models/resnet18/ready")]
    [InlineData("/v2/models/resnet18/versions/1/ready")]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task Health_and_readiness_answer_200_once_the_model_is_loaded(string path)
    {
        using var response = await server.Client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/v2/models/resnet18")]
    [InlineData("/v2/models/resnet18/versions/1")]
    public async Task Model_metadata_is_read_from_the_model(string path)
    {
        var metadata = await server.Client.GetFromJsonAsync<JsonObject>(path, Ct);

        Assert.Equal("resnet18", metadata!["name"]!.GetValue<string>());
        Assert.Equal("onnxruntime_onnx", metadata["platform"]!.GetValue<string>());
        Assert.Equal(["1"], metadata["versions"]!.AsArray().Select(v => v!.GetValue<string>()));
        var input = Assert.Single(metadata["inputs"]!.AsArray())!;
        Assert.Equal("Input247", input["name"]!.GetValue<string>());
        Assert.Equal("FP32", input["datatype"]!.GetValue<string>());
        Assert.Equal([1L, 3, 224, 224], input["shape"]!.AsArray().Select(d => d!.GetValue<long>()));
        var output = Assert.Single(metadata["outputs"]!.AsArray())!;
        Assert.Equal("FP32", output["datatype"]!.GetValue<string>());
        Assert.Equal(512, output["shape"]!.AsArray().Select(d => d!.GetValue<long>()).Aggregate((a, b) => a * b));
    }

    [Theory]
    [InlineData("GET", "/v2/models/other")]
    [InlineData("GET", "/v2/models/other/ready")]
    [InlineData("GET", "/v2/models/resnet18/versions/2")]
    [InlineData("GET", "/v2/models/resnet18/versions/2/ready")]
    [InlineData("POST", "/v2/models/other/infer")]
    [InlineData("POST", "/v2/models/resnet18/versions/7/infer")]
    public async Task Unknown_model_or_version_gets_404_with_a_v2_error(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = JsonContent.Create(new JsonObject { ["inputs"] = new JsonArray() });
        }

        using var response = await server.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(Ct);
        Assert.Contains("resnet18", V2Requests.Error(body!), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/v2/nothing", HttpStatusCode.NotFound)]
    [InlineData("GET", "/v2/models/resnet18/versions/1/extra", HttpStatusCode.NotFound)]
    [InlineData("POST", "/v2/repository/other", HttpStatusCode.NotFound)]
    [InlineData("GET", "/v2/repository/index", HttpStatusCode.MethodNotAllowed)]
    [InlineData("GET", "/v2/models/resnet18/infer", HttpStatusCode.MethodNotAllowed)]
    [InlineData("PUT", "/v2/models/resnet18/versions/1/infer", HttpStatusCode.MethodNotAllowed)]
    [InlineData("DELETE", "/v2/models/resnet18", HttpStatusCode.MethodNotAllowed)]
    [InlineData("POST", "/v2/health/ready", HttpStatusCode.MethodNotAllowed)]
    [InlineData("PUT", "/v2", HttpStatusCode.MethodNotAllowed)]
    public async Task A_path_or_method_the_server_does_not_serve_gets_a_v2_error(string method, string path, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);

        using var response = await server.Client.SendAsync(request, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(Ct);

        Assert.Equal(expected, response.StatusCode);
        Assert.Contains(path, V2Requests.Error(body!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_count_requests_by_outcome_and_name_the_execution_provider()
    {
        var good = V2Requests.Request(V2Requests.Input("Input247", "FP32", [1, 3, 224, 224], new JsonArray([.. Enumerable.Range(0, 150528).Select(_ => (JsonNode)0.25f)])));
        var bad = V2Requests.Request(V2Requests.Input("Input247", "FP32", [1, 3], [1f, 2f, 3f]));
        Assert.Equal(200, (await server.InferJsonAsync(good, Ct)).Status);
        Assert.Equal(400, (await server.InferJsonAsync(bad, Ct)).Status);

        var metrics = await server.Client.GetStringAsync("/metrics", Ct);

        Assert.Matches("""inference_execution_provider\{[^}]*provider="CPU"[^}]*\} 1""", metrics);
        Assert.Matches("""inference_requests_total\{[^}]*model="resnet18"[^}]*outcome="success"[^}]*\} [1-9]""", metrics);
        Assert.Matches("""inference_requests_total\{[^}]*model="resnet18"[^}]*outcome="bad_request"[^}]*\} [1-9]""", metrics);
        Assert.Matches("""inference_request_duration_seconds_bucket\{[^}]*model="resnet18"[^}]*\}""", metrics);
        Assert.Matches("""inference_compute_duration_seconds_count\{[^}]*provider="CPU"[^}]*\} [1-9]""", metrics);
    }
}
