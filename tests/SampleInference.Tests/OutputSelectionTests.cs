using System.Net;
using System.Text.Json.Nodes;
using ModelPlatform.SampleInference.Tests.Fixtures;

namespace ModelPlatform.SampleInference.Tests;

/// <summary>Arithmetic, output selection and mixed JSON/binary forms on a two-input, two-output model.</summary>
public sealed class OutputSelectionTests(AddMulServer server) : IClassFixture<AddMulServer>
{
    private static readonly float[] A = [1, 2, 3, 4, 5, 6];
    private static readonly float[] B = [0.5f, -1, 10, 2, 0, -3];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonObject Request() => V2Requests.Request(
        V2Requests.Input("a", "FP32", [2, 3], new JsonArray([.. A.Select(v => (JsonNode)v)])),
        V2Requests.Input("b", "FP32", [2, 3], new JsonArray([.. B.Select(v => (JsonNode)v)])));

    [Fact]
    public async Task Without_outputs_every_output_is_returned_with_computed_values()
    {
        var (status, body) = await server.InferJsonAsync(Request(), Ct);

        Assert.Equal(200, status);
        var outputs = body["outputs"]!.AsArray();
        Assert.Equal(["sum", "product"], outputs.Select(o => o!["name"]!.GetValue<string>()));
        Assert.Equal(A.Zip(B, (a, b) => a + b), V2Requests.Floats(outputs[0]!["data"]!));
        Assert.Equal(A.Zip(B, (a, b) => a * b), V2Requests.Floats(outputs[1]!["data"]!));
        Assert.All(outputs, o => Assert.Equal([2L, 3], o!["shape"]!.AsArray().Select(d => d!.GetValue<long>())));
    }

    [Fact]
    public async Task A_json_answer_carries_its_length_and_is_not_chunked()
    {
        using var response = await server.Client.PostAsync("/v2/models/add-mul/infer",
            new StringContent(Request().ToJsonString(), System.Text.Encoding.UTF8, "application/json"), Ct);
        var body = await response.Content.ReadAsByteArrayAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.NotEqual(true, response.Headers.TransferEncodingChunked);
    }

    [Fact]
    public async Task Only_the_requested_outputs_are_returned()
    {
        var request = Request();
        request["outputs"] = new JsonArray(new JsonObject { ["name"] = "product" });

        var (status, body) = await server.InferJsonAsync(request, Ct);

        Assert.Equal(200, status);
        var output = Assert.Single(body["outputs"]!.AsArray())!;
        Assert.Equal("product", output["name"]!.GetValue<string>());
        Assert.Equal(A.Zip(B, (a, b) => a * b), V2Requests.Floats(output["data"]!));
    }

    [Fact]
    public async Task One_output_in_binary_and_one_in_json_share_a_response()
    {
        var request = Request();
        request["outputs"] = new JsonArray(
            new JsonObject { ["name"] = "sum", ["parameters"] = new JsonObject { ["binary_data"] = true } },
            new JsonObject { ["name"] = "product" });

        using var response = await server.Client.PostAsync("/v2/models/add-mul/infer", V2Requests.Binary(request), Ct);
        var (header, bytes) = await V2Requests.ReadBinaryAsync(response, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var outputs = header["outputs"]!.AsArray();
        Assert.Equal(24, outputs[0]!["parameters"]!["binary_data_size"]!.GetValue<int>());
        Assert.Equal(A.Zip(B, (a, b) => a + b), V2Requests.Floats(bytes));
        Assert.Equal(A.Zip(B, (a, b) => a * b), V2Requests.Floats(outputs[1]!["data"]!));
    }

    [Fact]
    public async Task One_input_in_binary_and_one_in_json_are_combined()
    {
        var header = V2Requests.Request(
            V2Requests.BinaryInput("a", "FP32", [2, 3], A.Length * 4),
            V2Requests.Input("b", "FP32", [2, 3], new JsonArray([.. B.Select(v => (JsonNode)v)])));

        using var response = await server.Client.PostAsync("/v2/models/add-mul/infer", V2Requests.Binary(header, V2Requests.Bytes(A)), Ct);
        var (body, _) = await V2Requests.ReadBinaryAsync(response, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(A.Zip(B, (a, b) => a + b), V2Requests.Floats(body["outputs"]![0]!["data"]!));
    }

    [Fact]
    public async Task Binary_data_output_parameter_makes_every_output_binary_unless_one_opts_out()
    {
        var request = Request();
        request["parameters"] = new JsonObject { ["binary_data_output"] = true, ["tag"] = "kept" };
        request["outputs"] = new JsonArray(
            new JsonObject { ["name"] = "sum" },
            new JsonObject { ["name"] = "product", ["parameters"] = new JsonObject { ["binary_data"] = false } });

        using var response = await server.Client.PostAsync("/v2/models/add-mul/infer", V2Requests.Binary(request), Ct);
        var (header, bytes) = await V2Requests.ReadBinaryAsync(response, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("kept", header["parameters"]!["tag"]!.GetValue<string>());
        Assert.Null(header["parameters"]!["binary_data_output"]);
        Assert.Equal(A.Zip(B, (a, b) => a + b), V2Requests.Floats(bytes));
        Assert.NotNull(header["outputs"]![1]!["data"]);
    }

    [Fact]
    public async Task Non_finite_floats_travel_as_named_literals()
    {
        var request = V2Requests.Request(
            V2Requests.Input("a", "FP32", [1, 3], ["NaN", "Infinity", 1f]),
            V2Requests.Input("b", "FP32", [1, 3], [1f, 1f, "-Infinity"]));
        request["outputs"] = new JsonArray(new JsonObject { ["name"] = "sum" });

        var (status, body) = await server.InferJsonAsync(request, Ct);

        Assert.Equal(200, status);
        Assert.Equal(["NaN", "Infinity", "-Infinity"], body["outputs"]![0]!["data"]!.AsArray().Select(v => v!.GetValue<string>()));
    }

    [Fact]
    public async Task A_request_without_an_id_gets_an_empty_id_in_json_and_binary_answers()
    {
        var (status, json) = await server.InferJsonAsync(Request(), Ct);
        var binaryRequest = Request();
        binaryRequest["parameters"] = new JsonObject { ["binary_data_output"] = true };
        using var response = await server.Client.PostAsync("/v2/models/add-mul/infer", V2Requests.Binary(binaryRequest), Ct);
        var (header, _) = await V2Requests.ReadBinaryAsync(response, Ct);

        Assert.Equal(200, status);
        Assert.Equal(string.Empty, json["id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(string.Empty, header["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_small_answer_is_not_compressed_even_when_the_client_accepts_it()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/add-mul/infer")
        {
            Content = new StringContent(Request().ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.AcceptEncoding.ParseAdd("gzip");

        using var response = await server.Client.SendAsync(request, Ct);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal(2, body["outputs"]!.AsArray().Count);
    }
}
