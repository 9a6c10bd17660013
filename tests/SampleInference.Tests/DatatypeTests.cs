using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelPlatform.SampleInference.Tests.Fixtures;
using ModelPlatform.Testing;

namespace ModelPlatform.SampleInference.Tests;

/// <summary>Every V2 datatype through an Identity model, in JSON and in binary.</summary>
public sealed class DatatypeTests(AllTypesServer server) : IClassFixture<AllTypesServer>
{
    private static readonly long[] Shape = [1, 2];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Datatypes => [.. TestModels.Datatypes.Select(d => d.Datatype)];

    /// <summary>Two values per datatype, at the edges of its range where it has edges.</summary>
    internal static JsonArray SampleData(string datatype) => datatype switch
    {
        "BOOL" => [true, false],
        "UINT8" => [(byte)0, byte.MaxValue],
        "UINT16" => [(ushort)0, ushort.MaxValue],
        "UINT32" => [0u, uint.MaxValue],
        "UINT64" => [0ul, ulong.MaxValue],
        "INT8" => [sbyte.MinValue, sbyte.MaxValue],
        "INT16" => [short.MinValue, short.MaxValue],
        "INT32" => [int.MinValue, int.MaxValue],
        "INT64" => [long.MinValue, long.MaxValue],
        "FP16" => [1.5f, -2.25f],
        "BF16" => [1.5f, -2f],
        "FP32" => [3.1415927f, -0.001f],
        "FP64" => [Math.E, -1e-300],
        "BYTES" => ["héllo", "wörld ✓"],
        _ => throw new ArgumentOutOfRangeException(nameof(datatype)),
    };

    /// <summary>The same two values as <see cref="SampleData"/>, in the binary tensor data format.</summary>
    internal static byte[] SampleBinary(string datatype) => datatype switch
    {
        "BOOL" => [1, 0],
        "UINT8" => [0, 255],
        "UINT16" => [.. BitConverter.GetBytes((ushort)0), .. BitConverter.GetBytes(ushort.MaxValue)],
        "UINT32" => [.. BitConverter.GetBytes(0u), .. BitConverter.GetBytes(uint.MaxValue)],
        "UINT64" => [.. BitConverter.GetBytes(0ul), .. BitConverter.GetBytes(ulong.MaxValue)],
        "INT8" => [0x80, 0x7F],
        "INT16" => [.. BitConverter.GetBytes(short.MinValue), .. BitConverter.GetBytes(short.MaxValue)],
        "INT32" => [.. BitConverter.GetBytes(int.MinValue), .. BitConverter.GetBytes(int.MaxValue)],
        "INT64" => [.. BitConverter.GetBytes(long.MinValue), .. BitConverter.GetBytes(long.MaxValue)],
        "FP16" => [.. BitConverter.GetBytes((Half)1.5f), .. BitConverter.GetBytes((Half)(-2.25f))],
        "BF16" => [0xC0, 0x3F, 0x00, 0xC0],
        "FP32" => [.. BitConverter.GetBytes(3.1415927f), .. BitConverter.GetBytes(-0.001f)],
        "FP64" => [.. BitConverter.GetBytes(Math.E), .. BitConverter.GetBytes(-1e-300)],
        "BYTES" => V2Requests.LengthPrefixed("héllo", "wörld ✓"),
        _ => throw new ArgumentOutOfRangeException(nameof(datatype)),
    };

    /// <summary>A request with every input of the all-types model, each with its sample data.</summary>
    internal static JsonObject FullRequest() =>
        V2Requests.Request([.. TestModels.Datatypes.Select(d =>
            V2Requests.Input(TestModels.InputName(d.Datatype), d.Datatype, Shape, SampleData(d.Datatype)))]);

    [Theory]
    [MemberData(nameof(Datatypes))]
    public async Task Json_round_trip_keeps_every_value(string datatype)
    {
        var request = FullRequest();
        request["outputs"] = new JsonArray(new JsonObject { ["name"] = TestModels.OutputName(datatype) });

        var (status, body) = await server.InferJsonAsync(request, Ct);

        Assert.Equal(200, status);
        var output = Assert.Single(body["outputs"]!.AsArray())!;
        Assert.Equal(datatype, output["datatype"]!.GetValue<string>());
        Assert.Equal([1L, 2], output["shape"]!.AsArray().Select(d => d!.GetValue<long>()));
        Assert.Equal(Render(SampleData(datatype)), Render(output["data"]!.AsArray()));
    }

    [Theory]
    [MemberData(nameof(Datatypes))]
    public async Task Binary_round_trip_keeps_every_byte(string datatype)
    {
        var binary = SampleBinary(datatype);
        var inputs = TestModels.Datatypes.Select(d => d.Datatype == datatype
            ? V2Requests.BinaryInput(TestModels.InputName(d.Datatype), d.Datatype, Shape, binary.Length)
            : V2Requests.Input(TestModels.InputName(d.Datatype), d.Datatype, Shape, SampleData(d.Datatype)));
        var header = V2Requests.Request([.. inputs]);
        header["outputs"] = new JsonArray(new JsonObject
        {
            ["name"] = TestModels.OutputName(datatype),
            ["parameters"] = new JsonObject { ["binary_data"] = true },
        });

        using var response = await server.Client.PostAsync("/v2/models/all-types/infer", V2Requests.Binary(header, binary), Ct);
        var (responseHeader, bytes) = await V2Requests.ReadBinaryAsync(response, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var output = Assert.Single(responseHeader["outputs"]!.AsArray())!;
        Assert.Equal(datatype, output["datatype"]!.GetValue<string>());
        Assert.Equal(binary.Length, output["parameters"]!["binary_data_size"]!.GetValue<int>());
        Assert.Equal(binary, bytes);
    }

    [Fact]
    public async Task Binary_and_json_outputs_agree_for_every_datatype()
    {
        var request = FullRequest();
        var (_, json) = await server.InferJsonAsync(request, Ct);
        request["parameters"] = new JsonObject { ["binary_data_output"] = true };

        using var response = await server.Client.PostAsync("/v2/models/all-types/infer", V2Requests.Binary(request), Ct);
        var (header, bytes) = await V2Requests.ReadBinaryAsync(response, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(header["parameters"]);
        var offset = 0;
        foreach (var output in header["outputs"]!.AsArray())
        {
            var datatype = output!["datatype"]!.GetValue<string>();
            var size = output["parameters"]!["binary_data_size"]!.GetValue<int>();
            Assert.Equal(SampleBinary(datatype), bytes[offset..(offset + size)]);
            var jsonOutput = json["outputs"]!.AsArray().Single(o => o!["name"]!.GetValue<string>() == output["name"]!.GetValue<string>());
            Assert.Equal(Render(SampleData(datatype)), Render(jsonOutput!["data"]!.AsArray()));
            offset += size;
        }

        Assert.Equal(bytes.Length, offset);
    }

    [Fact]
    public async Task Dynamic_dimension_takes_any_batch_size()
    {
        var request = V2Requests.Request([.. TestModels.Datatypes.Select(d =>
            V2Requests.Input(TestModels.InputName(d.Datatype), d.Datatype, [2, 2], new JsonArray([.. SampleData(d.Datatype).Concat(SampleData(d.Datatype)).Select(n => n?.DeepClone())])))]);

        var (status, body) = await server.InferJsonAsync(request, Ct);

        Assert.Equal(200, status);
        Assert.All(body["outputs"]!.AsArray(), output => Assert.Equal([2L, 2], output!["shape"]!.AsArray().Select(d => d!.GetValue<long>())));
    }

    [Fact]
    public async Task Nested_json_data_is_accepted_in_row_major_order()
    {
        var request = FullRequest();
        var fp32 = request["inputs"]!.AsArray().Single(i => i!["name"]!.GetValue<string>() == "x_fp32")!;
        fp32["data"] = new JsonArray(new JsonArray(3.1415927f, -0.001f));
        request["outputs"] = new JsonArray(new JsonObject { ["name"] = "y_fp32" });

        var (status, body) = await server.InferJsonAsync(request, Ct);

        Assert.Equal(200, status);
        Assert.Equal(Render(SampleData("FP32")), Render(body["outputs"]![0]!["data"]!.AsArray()));
    }

    [Fact]
    public async Task Model_metadata_lists_every_datatype_with_its_dynamic_dimension()
    {
        using var response = await server.Client.GetAsync("/v2/models/all-types", Ct);
        var metadata = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;

        foreach (var (datatype, _) in TestModels.Datatypes)
        {
            var input = metadata["inputs"]!.AsArray().Single(i => i!["name"]!.GetValue<string>() == TestModels.InputName(datatype))!;
            Assert.Equal(datatype, input["datatype"]!.GetValue<string>());
            Assert.Equal([-1L, 2], input["shape"]!.AsArray().Select(d => d!.GetValue<long>()));
        }
    }

    [Fact]
    public async Task Bare_nan_and_infinity_words_are_read_as_python_json_writes_them_and_strings_stay_as_they_are()
    {
        var request = FullRequest();
        Input(request, "x_fp32")["data"] = new JsonArray("@NaN@", "@Infinity@");
        Input(request, "x_fp64")["data"] = new JsonArray("@-Infinity@", "@NaN@");
        Input(request, "x_fp16")["data"] = new JsonArray("@Infinity@", 1.5f);
        Input(request, "x_bytes")["data"] = new JsonArray("NaN", "-Infinity \"Infinity\" NaN");
        request["outputs"] = new JsonArray(
            new JsonObject { ["name"] = "y_fp32" }, new JsonObject { ["name"] = "y_fp64" },
            new JsonObject { ["name"] = "y_fp16" }, new JsonObject { ["name"] = "y_bytes" });
        // What json.dumps([float("nan"), float("inf")]) writes: words, not strings.
        var text = request.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping })
            .Replace("\"@NaN@\"", "NaN", StringComparison.Ordinal)
            .Replace("\"@Infinity@\"", "Infinity", StringComparison.Ordinal)
            .Replace("\"@-Infinity@\"", "-Infinity", StringComparison.Ordinal);
        Assert.Contains("[NaN,Infinity]", text, StringComparison.Ordinal);

        using var response = await server.Client.PostAsync("/v2/models/all-types/infer",
            new StringContent(text, System.Text.Encoding.UTF8, "application/json"), Ct);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var outputs = body["outputs"]!.AsArray();
        Assert.Equal(["NaN", "Infinity"], Render(outputs[0]!["data"]!.AsArray()));
        Assert.Equal(["-Infinity", "NaN"], Render(outputs[1]!["data"]!.AsArray()));
        Assert.Equal(["Infinity", "1.5"], Render(outputs[2]!["data"]!.AsArray()));
        Assert.Equal(["NaN", "-Infinity \"Infinity\" NaN"], Render(outputs[3]!["data"]!.AsArray()));
    }

    [Theory]
    [InlineData("FP16")]
    [InlineData("BF16")]
    [InlineData("FP32")]
    [InlineData("FP64")]
    public async Task Negative_zero_is_written_as_a_float_so_that_it_stays_negative(string datatype)
    {
        var request = FullRequest();
        Input(request, TestModels.InputName(datatype))["data"] = JsonNode.Parse("[-0.0, 0.0]");
        request["outputs"] = new JsonArray(new JsonObject { ["name"] = TestModels.OutputName(datatype) });

        using var response = await server.Client.PostAsync("/v2/models/all-types/infer",
            new StringContent(request.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // "-0" would read back as the integer 0 in Python and JavaScript, and lose its sign.
        Assert.Contains("\"data\":[-0.0,0]", text, StringComparison.Ordinal);
    }

    private static JsonNode Input(JsonObject request, string name) =>
        request["inputs"]!.AsArray().Single(i => i!["name"]!.GetValue<string>() == name)!;

    private static string[] Render(JsonArray values) =>
        [.. values.Select(v => v!.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString())];
}
