using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using ModelPlatform.SampleInference.Tests.Fixtures;
using ModelPlatform.Testing;

namespace ModelPlatform.SampleInference.Tests;

public sealed class ResNetInferenceTests(ResNetServer server) : IClassFixture<ResNetServer>
{
    private const string Input = "Input247";
    private static readonly long[] Shape = [1, 3, 224, 224];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Json_inference_returns_what_onnx_runtime_returns_in_process()
    {
        var image = Image(seed: 1);
        var expected = RunInProcess(image);

        var (status, body) = await server.InferJsonAsync(
            V2Requests.Request(V2Requests.Input(Input, "FP32", Shape, new JsonArray([.. image.Select(v => (JsonNode)v)]))), Ct);

        Assert.Equal(200, status);
        Assert.Equal("resnet18", body["model_name"]!.GetValue<string>());
        Assert.Equal("1", body["model_version"]!.GetValue<string>());
        var output = Assert.Single(body["outputs"]!.AsArray())!;
        Assert.Equal("FP32", output["datatype"]!.GetValue<string>());
        Assert.Equal([1L, 512, 1, 1], output["shape"]!.AsArray().Select(d => d!.GetValue<long>()));
        AssertClose(expected, V2Requests.Floats(output["data"]!));
    }

    [Fact]
    public async Task Binary_inference_returns_exactly_what_json_inference_returns()
    {
        var image = Image(seed: 2);
        var (_, json) = await server.InferJsonAsync(
            V2Requests.Request(V2Requests.Input(Input, "FP32", Shape, new JsonArray([.. image.Select(v => (JsonNode)v)]))), Ct);
        var header = V2Requests.Request(V2Requests.BinaryInput(Input, "FP32", Shape, image.Length * 4));
        header["outputs"] = new JsonArray(new JsonObject { ["name"] = "Pooling395_Output_0", ["parameters"] = new JsonObject { ["binary_data"] = true } });

        using var response = await server.Client.PostAsync("/v2/models/resnet18/infer", V2Requests.Binary(header, V2Requests.Bytes(image)), Ct);
        var (responseHeader, binary) = await V2Requests.ReadBinaryAsync(response, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType!.MediaType);
        var output = Assert.Single(responseHeader["outputs"]!.AsArray())!;
        Assert.Equal(512 * 4, output["parameters"]!["binary_data_size"]!.GetValue<int>());
        Assert.Null(output["data"]);
        Assert.Equal(V2Requests.Floats(json["outputs"]![0]!["data"]!), V2Requests.Floats(binary));
        AssertClose(RunInProcess(image), V2Requests.Floats(binary));
    }

    [Fact]
    public async Task Binary_input_with_json_output_answers_json()
    {
        var image = Image(seed: 3);
        var header = V2Requests.Request(V2Requests.BinaryInput(Input, "FP32", Shape, image.Length * 4));

        using var response = await server.Client.PostAsync("/v2/models/resnet18/infer", V2Requests.Binary(header, V2Requests.Bytes(image)), Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains(V2Requests.HeaderLength));
        AssertClose(RunInProcess(image), V2Requests.Floats(body!["outputs"]![0]!["data"]!));
    }

    [Fact]
    public async Task Request_id_is_echoed_and_parameters_pass_through()
    {
        var request = V2Requests.Request(V2Requests.Input(Input, "FP32", Shape, new JsonArray([.. Enumerable.Range(0, 150528).Select(_ => (JsonNode)0f)])));
        request["id"] = "request-42";
        request["parameters"] = new JsonObject { ["trace"] = "abc", ["priority"] = 3 };

        var (status, body) = await server.InferJsonAsync(request, Ct);

        Assert.Equal(200, status);
        Assert.Equal("request-42", body["id"]!.GetValue<string>());
        Assert.Equal("abc", body["parameters"]!["trace"]!.GetValue<string>());
        Assert.Equal(3, body["parameters"]!["priority"]!.GetValue<int>());
    }

    [Fact]
    public async Task Versioned_infer_path_serves_the_model_version()
    {
        var request = V2Requests.Request(V2Requests.Input(Input, "FP32", Shape, new JsonArray([.. Enumerable.Range(0, 150528).Select(_ => (JsonNode)0f)])));

        using var response = await server.Client.PostAsJsonAsync("/v2/models/resnet18/versions/1/infer", request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Body_over_the_configured_limit_gets_413_with_a_v2_error()
    {
        var oversized = new byte[ResNetServer.BodyLimit + 1];
        var header = V2Requests.Request(V2Requests.BinaryInput(Input, "FP32", Shape, oversized.Length));

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/resnet18/infer") { Content = V2Requests.Binary(header, oversized) };
        // A client that sends a large body should ask first; the server refuses on the declared length alone.
        request.Headers.ExpectContinue = true;

        using var response = await server.Client.SendAsync(request, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("limit", V2Requests.Error(body!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chunked_body_over_the_limit_gets_413_too()
    {
        var oversized = new byte[ResNetServer.BodyLimit + 1024];
        using var content = new StreamContent(new MemoryStream(oversized));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/resnet18/infer") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await server.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("limit", V2Requests.Error((await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!), StringComparison.Ordinal);
    }

    private static float[] Image(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, 3 * 224 * 224).Select(_ => random.NextSingle())];
    }

    private static float[] RunInProcess(float[] image)
    {
        using var session = new InferenceSession(RepositoryPaths.ResNet18Model);
        using var input = OrtValue.CreateTensorValueFromMemory(image, Shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [Input], [input], session.OutputNames);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    // The server and this test run the same ONNX Runtime build, but thread counts may differ, and
    // with them the order of floating-point sums: equal to a few ulps, not always bit for bit.
    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f + 1e-4f * Math.Abs(expected[i]),
                $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
