using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ModelPlatform.SampleInference.Tests.Fixtures;

namespace ModelPlatform.SampleInference.Tests;

/// <summary>Bad requests get 400 with a V2 error that names the problem, and never hurt the server.</summary>
public sealed class BadInputTests(AllTypesServer server) : IClassFixture<AllTypesServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> JsonCases => new()
    {
        { "rank", "input 'x_fp32': shape [2] does not match the model's [-1,2]" },
        { "fixed-dimension", "input 'x_fp32': shape [1,3] does not match the model's [-1,2]" },
        { "too-much-data", "input 'x_fp32': shape [1,2] needs 2 elements, but the data has 3" },
        { "too-little-data", "input 'x_fp32': shape [1,2] needs 2 elements, but the data has 1" },
        { "unknown-input", "unknown input 'x_nope'" },
        { "wrong-datatype", "input 'x_fp32': datatype FP64 does not match the model's FP32" },
        { "unknown-datatype", "input 'x_fp32': datatype 'FP8' is not one of" },
        { "missing-input", "missing input(s): x_fp32" },
        { "duplicate-input", "input 'x_fp32' is given more than once" },
        { "out-of-range", "input 'x_int8': element 0 is 300, not a valid INT8 value" },
        { "string-for-number", "input 'x_fp32': element 1 is \"abc\", not a valid FP32 value" },
        { "number-for-bool", "input 'x_bool': element 0 is 1, not a valid BOOL value" },
        { "number-for-bytes", "input 'x_bytes': element 0 is 7, not a valid BYTES value" },
        { "negative-dimension", "input 'x_fp32': 'shape' must be an array of non-negative integers" },
        { "no-data", "input 'x_fp32' has no 'data'" },
        { "no-name", "inputs[0]: 'name' must be a non-empty string" },
        { "unknown-output", "unknown output 'y_nope'" },
        { "duplicate-output", "output 'y_fp32' is requested more than once" },
        { "empty-inputs", "'inputs' must not be empty" },
        { "id-not-string", "'id' must be a string" },
        { "classification", "classification extension is not supported" },
        { "huge-shape", "has more elements than a request can carry" },
    };

    [Theory]
    [MemberData(nameof(JsonCases))]
    public async Task Bad_json_request_gets_400_naming_the_problem(string @case, string expected)
    {
        var request = Mutate(DatatypeTests.FullRequest(), @case);

        var (status, body) = await server.InferJsonAsync(request, Ct);

        Assert.Equal(400, status);
        Assert.Contains(expected, V2Requests.Error(body), StringComparison.Ordinal);
        await AssertStillServingAsync();
    }

    public static TheoryData<string, string> RawCases => new()
    {
        { "{\"inputs\": [", "Malformed JSON" },
        { "[1, 2, 3]", "must be a JSON object" },
        { "", "Malformed JSON" },
        { "{\"inputs\": {}}", "must have an 'inputs' array" },
        { "\"text\"", "must be a JSON object" },
    };

    [Theory]
    [MemberData(nameof(RawCases))]
    public async Task Malformed_body_gets_400(string body, string expected)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await server.Client.PostAsync("/v2/models/all-types/infer", content, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, V2Requests.Error((await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Binary_size_that_does_not_match_the_shape_gets_400()
    {
        var header = BinaryFp32Request(size: 7);

        using var response = await server.Client.PostAsync("/v2/models/all-types/infer", V2Requests.Binary(header, new byte[7]), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("input 'x_fp32': binary_data_size is 7 bytes, but shape [1,2] of FP32 needs 8",
            V2Requests.Error((await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Binary_size_beyond_the_body_gets_400()
    {
        var header = BinaryFp32Request(size: 8);

        using var response = await server.Client.PostAsync("/v2/models/all-types/infer", V2Requests.Binary(header, new byte[4]), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'binary_data_size' is 8 bytes, but only 4 bytes of binary data remain",
            V2Requests.Error((await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Binary_bytes_no_input_claims_get_400()
    {
        var header = BinaryFp32Request(size: 8);

        using var response = await server.Client.PostAsync("/v2/models/all-types/infer", V2Requests.Binary(header, new byte[12]), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("12 bytes of binary data follow the JSON header, but the inputs' binary_data_size add up to 8",
            V2Requests.Error((await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("100000", "Inference-Header-Content-Length is 100000, but the body has")]
    [InlineData("0", "Inference-Header-Content-Length is 0")]
    [InlineData("ten", "Inference-Header-Content-Length must be a non-negative integer")]
    public async Task Bad_header_length_gets_400(string headerLength, string expected)
    {
        using var content = new StringContent(DatatypeTests.FullRequest().ToJsonString(), Encoding.UTF8, "application/json");
        content.Headers.Add(V2Requests.HeaderLength, headerLength);

        using var response = await server.Client.PostAsync("/v2/models/all-types/infer", content, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, V2Requests.Error((await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 5, 0, 0, 0, 104, 105 }, "BYTES element 0 claims 5 bytes, but 2 remain")]
    [InlineData(new byte[] { 1, 0 }, "BYTES element 0 has a truncated length prefix")]
    [InlineData(new byte[] { 1, 0, 0, 0, 104 }, "shape [1,2] needs 2 elements, but the data has 1")]
    public async Task Malformed_binary_bytes_get_400(byte[] binary, string expected)
    {
        var inputs = DatatypeTests.FullRequest()["inputs"]!.AsArray().Select(i => i!.DeepClone().AsObject()).ToList();
        var index = inputs.FindIndex(i => i["name"]!.GetValue<string>() == "x_bytes");
        inputs[index] = V2Requests.BinaryInput("x_bytes", "BYTES", [1, 2], binary.Length);

        using var response = await server.Client.PostAsync(
            "/v2/models/all-types/infer", V2Requests.Binary(V2Requests.Request([.. inputs]), binary), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, V2Requests.Error((await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Data_and_binary_size_together_get_400()
    {
        var request = DatatypeTests.FullRequest();
        request["inputs"]![0]!["parameters"] = new JsonObject { ["binary_data_size"] = 2 };

        using var response = await server.Client.PostAsync("/v2/models/all-types/infer", V2Requests.Binary(request, [1, 0]), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("has both 'data' and 'binary_data_size'",
            V2Requests.Error((await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!), StringComparison.Ordinal);
    }

    private static JsonObject BinaryFp32Request(int size)
    {
        var inputs = DatatypeTests.FullRequest()["inputs"]!.AsArray().Select(i => i!.DeepClone().AsObject()).ToList();
        var index = inputs.FindIndex(i => i["name"]!.GetValue<string>() == "x_fp32");
        inputs[index] = V2Requests.BinaryInput("x_fp32", "FP32", [1, 2], size);
        return V2Requests.Request([.. inputs]);
    }

    private async Task AssertStillServingAsync()
    {
        using var response = await server.Client.GetAsync("/v2/health/ready", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static JsonObject Input(JsonObject request, string name) =>
        request["inputs"]!.AsArray().Single(i => i!["name"]!.GetValue<string>() == name)!.AsObject();

    private static JsonObject Mutate(JsonObject request, string @case)
    {
        var fp32 = Input(request, "x_fp32");
        switch (@case)
        {
            case "rank":
                fp32["shape"] = new JsonArray(2);
                break;
            case "fixed-dimension":
                fp32["shape"] = new JsonArray(1, 3);
                fp32["data"] = new JsonArray(1f, 2f, 3f);
                break;
            case "too-much-data":
                fp32["data"] = new JsonArray(1f, 2f, 3f);
                break;
            case "too-little-data":
                fp32["data"] = new JsonArray(1f);
                break;
            case "unknown-input":
                request["inputs"]!.AsArray().Add(V2Requests.Input("x_nope", "FP32", [1, 2], [1f, 2f]));
                break;
            case "wrong-datatype":
                fp32["datatype"] = "FP64";
                break;
            case "unknown-datatype":
                fp32["datatype"] = "FP8";
                break;
            case "missing-input":
                request["inputs"]!.AsArray().Remove(fp32);
                break;
            case "duplicate-input":
                request["inputs"]!.AsArray().Add(fp32.DeepClone());
                break;
            case "out-of-range":
                Input(request, "x_int8")["data"] = new JsonArray(300, 1);
                break;
            case "string-for-number":
                fp32["data"] = new JsonArray(1f, "abc");
                break;
            case "number-for-bool":
                Input(request, "x_bool")["data"] = new JsonArray(1, 0);
                break;
            case "number-for-bytes":
                Input(request, "x_bytes")["data"] = new JsonArray(7, 8);
                break;
            case "negative-dimension":
                fp32["shape"] = new JsonArray(-1, 2);
                break;
            case "no-data":
                fp32.Remove("data");
                break;
            case "no-name":
                request["inputs"]![0]!.AsObject().Remove("name");
                break;
            case "unknown-output":
                request["outputs"] = new JsonArray(new JsonObject { ["name"] = "y_nope" });
                break;
            case "duplicate-output":
                request["outputs"] = new JsonArray(new JsonObject { ["name"] = "y_fp32" }, new JsonObject { ["name"] = "y_fp32" });
                break;
            case "empty-inputs":
                request["inputs"] = new JsonArray();
                break;
            case "id-not-string":
                request["id"] = 12;
                break;
            case "classification":
                request["outputs"] = new JsonArray(new JsonObject { ["name"] = "y_fp32", ["parameters"] = new JsonObject { ["classification"] = 3 } });
                break;
            case "huge-shape":
                fp32["shape"] = new JsonArray(4_000_000_000L, 2);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(@case), @case, null);
        }

        return request;
    }
}
