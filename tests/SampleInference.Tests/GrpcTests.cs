using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using ModelPlatform.SampleInference.Grpc.V2;
using ModelPlatform.SampleInference.Tests.Fixtures;
using ModelPlatform.Testing;

namespace ModelPlatform.SampleInference.Tests;

/// <summary>The Open Inference Protocol over gRPC, spoken by a stock Grpc.Net.Client client: every RPC and every datatype raw.</summary>
public sealed class GrpcTests(AllTypesServer server) : IClassFixture<AllTypesServer>
{
    private static readonly long[] Shape = [1, 2];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Datatypes => [.. TestModels.Datatypes.Select(d => d.Datatype)];

    [Fact]
    public async Task Health_rpcs_say_live_and_ready()
    {
        Assert.True((await server.Grpc.ServerLiveAsync(new ServerLiveRequest(), cancellationToken: Ct)).Live);
        Assert.True((await server.Grpc.ServerReadyAsync(new ServerReadyRequest(), cancellationToken: Ct)).Ready);
        Assert.True((await server.Grpc.ModelReadyAsync(new ModelReadyRequest { Name = "all-types" }, cancellationToken: Ct)).Ready);
        Assert.True((await server.Grpc.ModelReadyAsync(new ModelReadyRequest { Name = "all-types", Version = "1" }, cancellationToken: Ct)).Ready);
    }

    [Fact]
    public async Task Server_metadata_lists_the_same_extensions_as_rest()
    {
        var metadata = await server.Grpc.ServerMetadataAsync(new ServerMetadataRequest(), cancellationToken: Ct);
        var rest = JsonNode.Parse(await server.Client.GetStringAsync("/v2", Ct))!;

        Assert.Equal("modelplatform-sample-inference", metadata.Name);
        Assert.Equal(rest["version"]!.GetValue<string>(), metadata.Version);
        Assert.Equal(rest["extensions"]!.AsArray().Select(e => e!.GetValue<string>()), metadata.Extensions);
        Assert.Contains("statistics", metadata.Extensions);
    }

    [Fact]
    public async Task Model_metadata_matches_the_rest_answer()
    {
        var metadata = await server.Grpc.ModelMetadataAsync(new ModelMetadataRequest { Name = "all-types" }, cancellationToken: Ct);

        Assert.Equal("all-types", metadata.Name);
        Assert.Equal(["1"], metadata.Versions);
        Assert.Equal("onnxruntime_onnx", metadata.Platform);
        Assert.Equal(TestModels.Datatypes.Count, metadata.Inputs.Count);
        var fp16 = metadata.Inputs.Single(i => i.Name == "x_fp16");
        Assert.Equal("FP16", fp16.Datatype);
        Assert.Equal([-1L, 2], fp16.Shape);
    }

    [Theory]
    [MemberData(nameof(Datatypes))]
    public async Task Raw_round_trip_keeps_every_byte(string datatype)
    {
        var request = RawRequest();
        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = TestModels.OutputName(datatype) });

        var response = await server.Grpc.ModelInferAsync(request, cancellationToken: Ct);

        var output = Assert.Single(response.Outputs);
        Assert.Equal(datatype, output.Datatype);
        Assert.Equal(Shape, output.Shape);
        Assert.Null(output.Contents);
        Assert.Equal(DatatypeTests.SampleBinary(datatype), Assert.Single(response.RawOutputContents).ToByteArray());
    }

    [Fact]
    public async Task Id_and_parameters_come_back_and_every_output_is_raw_in_input_order()
    {
        var request = RawRequest();
        request.Id = "request-7";
        request.Parameters["tag"] = new InferParameter { StringParam = "kept" };

        var response = await server.Grpc.ModelInferAsync(request, cancellationToken: Ct);

        Assert.Equal("request-7", response.Id);
        Assert.Equal("all-types", response.ModelName);
        Assert.Equal("1", response.ModelVersion);
        Assert.Equal("kept", response.Parameters["tag"].StringParam);
        Assert.Equal(TestModels.Datatypes.Select(d => TestModels.OutputName(d.Datatype)), response.Outputs.Select(o => o.Name));
        for (var i = 0; i < response.Outputs.Count; i++)
        {
            Assert.Equal(DatatypeTests.SampleBinary(response.Outputs[i].Datatype), response.RawOutputContents[i].ToByteArray());
        }
    }

    [Fact]
    public async Task Fp16_outputs_go_raw_even_when_typed_outputs_are_asked_for()
    {
        var request = RawRequest();
        request.Parameters["binary_data_output"] = new InferParameter { BoolParam = false };

        var response = await server.Grpc.ModelInferAsync(request, cancellationToken: Ct);

        Assert.Equal(TestModels.Datatypes.Count, response.RawOutputContents.Count);
        Assert.All(response.Outputs, output => Assert.Null(output.Contents));
    }

    [Fact]
    public async Task Rest_and_grpc_refuse_a_wrong_shape_with_the_same_message()
    {
        var request = RawRequest();
        request.Inputs[0].Shape[1] = 3;
        var restRequest = DatatypeTests.FullRequest();
        restRequest["inputs"]![0]!["shape"] = new JsonArray(1, 3);

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(request, cancellationToken: Ct).ResponseAsync);
        var (status, body) = await server.InferJsonAsync(restRequest, Ct);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(400, status);
        Assert.Equal(V2Requests.Error(body), error.Status.Detail);
        Assert.Equal("input 'x_bool': shape [1,3] does not match the model's [-1,2] (-1 is any size).", error.Status.Detail);
    }

    [Fact]
    public async Task Unknown_model_is_not_found_with_the_rest_message()
    {
        var request = RawRequest();
        request.ModelName = "nope";

        var infer = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(request, cancellationToken: Ct).ResponseAsync);
        var ready = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelReadyAsync(new ModelReadyRequest { Name = "nope" }, cancellationToken: Ct).ResponseAsync);
        var version = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelMetadataAsync(
            new ModelMetadataRequest { Name = "all-types", Version = "9" }, cancellationToken: Ct).ResponseAsync);
        using var rest = await server.Client.GetAsync("/v2/models/nope/ready", Ct);

        Assert.Equal(StatusCode.NotFound, infer.StatusCode);
        Assert.Equal(StatusCode.NotFound, ready.StatusCode);
        Assert.Equal(StatusCode.NotFound, version.StatusCode);
        Assert.Equal(V2Requests.Error(JsonNode.Parse(await rest.Content.ReadAsStringAsync(Ct))!.AsObject()), infer.Status.Detail);
        Assert.Equal("Model 'all-types' has no version '9'; it has version '1'.", version.Status.Detail);
    }

    [Fact]
    public async Task Raw_contents_of_the_wrong_size_are_refused_naming_the_entry()
    {
        var request = RawRequest();
        request.RawInputContents[11] = ByteString.CopyFrom(new byte[7]);

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("input 'x_fp32': raw_input_contents[11] is 7 bytes, but shape [1,2] of FP32 needs 8.", error.Status.Detail);
    }

    [Fact]
    public async Task Raw_contents_must_have_one_entry_per_input()
    {
        var request = RawRequest();
        request.RawInputContents.RemoveAt(0);

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("raw_input_contents has 13 entries, but the request has 14 inputs", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fp16_in_typed_contents_is_refused_with_where_to_send_it()
    {
        var request = new ModelInferRequest { ModelName = "all-types" };
        foreach (var (datatype, _) in TestModels.Datatypes)
        {
            var input = Input(datatype);
            input.Contents = datatype is "FP16" or "BF16" ? new InferTensorContents() : GrpcTypedTests.Contents(datatype);
            request.Inputs.Add(input);
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("input 'x_fp16': FP16 has no typed contents field; send it in raw_input_contents.", error.Status.Detail);
    }

    [Fact]
    public async Task A_message_above_the_body_limit_is_resource_exhausted()
    {
        var request = RawRequest();
        request.Parameters["padding"] = new InferParameter { StringParam = new string('x', 65 * 1024 * 1024) };

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    internal static ModelInferRequest.Types.InferInputTensor Input(string datatype)
    {
        var input = new ModelInferRequest.Types.InferInputTensor { Name = TestModels.InputName(datatype), Datatype = datatype };
        input.Shape.Add(Shape);
        return input;
    }

    private static ModelInferRequest RawRequest()
    {
        var request = new ModelInferRequest { ModelName = "all-types" };
        foreach (var (datatype, _) in TestModels.Datatypes)
        {
            request.Inputs.Add(Input(datatype));
            request.RawInputContents.Add(ByteString.CopyFrom(DatatypeTests.SampleBinary(datatype)));
        }

        return request;
    }
}

/// <summary>Every datatype that has a typed field, through gRPC's typed <c>contents</c>.</summary>
public sealed class GrpcTypedTests(TypedTypesServer server) : IClassFixture<TypedTypesServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Datatypes => [.. TypedTypesServer.Datatypes.Select(d => d.Datatype)];

    /// <summary>The same two values as <see cref="DatatypeTests.SampleData"/>, in the datatype's typed field.</summary>
    internal static InferTensorContents Contents(string datatype)
    {
        var contents = new InferTensorContents();
        switch (datatype)
        {
            case "BOOL": contents.BoolContents.Add([true, false]); break;
            case "UINT8": contents.UintContents.Add([0u, byte.MaxValue]); break;
            case "UINT16": contents.UintContents.Add([0u, ushort.MaxValue]); break;
            case "UINT32": contents.UintContents.Add([0u, uint.MaxValue]); break;
            case "UINT64": contents.Uint64Contents.Add([0ul, ulong.MaxValue]); break;
            case "INT8": contents.IntContents.Add([sbyte.MinValue, sbyte.MaxValue]); break;
            case "INT16": contents.IntContents.Add([short.MinValue, short.MaxValue]); break;
            case "INT32": contents.IntContents.Add([int.MinValue, int.MaxValue]); break;
            case "INT64": contents.Int64Contents.Add([long.MinValue, long.MaxValue]); break;
            case "FP32": contents.Fp32Contents.Add([3.1415927f, -0.001f]); break;
            case "FP64": contents.Fp64Contents.Add([Math.E, -1e-300]); break;
            case "BYTES": contents.BytesContents.Add([ByteString.CopyFromUtf8("héllo"), ByteString.CopyFromUtf8("wörld ✓")]); break;
            default: throw new ArgumentOutOfRangeException(nameof(datatype));
        }

        return contents;
    }

    [Theory]
    [MemberData(nameof(Datatypes))]
    public async Task Typed_round_trip_keeps_every_value(string datatype)
    {
        var request = TypedRequest();
        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = TestModels.OutputName(datatype) });

        var response = await server.Grpc.ModelInferAsync(request, cancellationToken: Ct);

        var output = Assert.Single(response.Outputs);
        Assert.Empty(response.RawOutputContents);
        Assert.Equal(datatype, output.Datatype);
        Assert.Equal(Contents(datatype), output.Contents);
    }

    [Fact]
    public async Task Typed_inputs_can_ask_for_raw_outputs()
    {
        var request = TypedRequest();
        request.Parameters["binary_data_output"] = new InferParameter { BoolParam = true };
        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "y_bytes" });

        var response = await server.Grpc.ModelInferAsync(request, cancellationToken: Ct);

        Assert.Null(Assert.Single(response.Outputs).Contents);
        Assert.Equal(V2Requests.LengthPrefixed("héllo", "wörld ✓"), Assert.Single(response.RawOutputContents).ToByteArray());
    }

    [Theory]
    [InlineData("INT8", 300)]
    [InlineData("INT16", -40000)]
    public async Task Narrow_integers_out_of_range_are_refused_as_in_json(string datatype, int value)
    {
        var request = TypedRequest();
        var input = request.Inputs.Single(i => i.Datatype == datatype);
        input.Contents.IntContents[1] = value;

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal($"input '{input.Name}': element 1 is {value}, not a valid {datatype} value.", error.Status.Detail);
    }

    [Fact]
    public async Task Typed_contents_of_the_wrong_count_are_refused_with_the_rest_message()
    {
        var request = TypedRequest();
        request.Inputs.Single(i => i.Datatype == "FP32").Contents.Fp32Contents.Add(1f);

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal("input 'x_fp32': shape [1,2] needs 2 elements, but the data has 3.", error.Status.Detail);
    }

    [Fact]
    public async Task Contents_and_raw_contents_together_are_refused()
    {
        var request = TypedRequest();
        foreach (var input in request.Inputs)
        {
            request.RawInputContents.Add(ByteString.CopyFrom(DatatypeTests.SampleBinary(input.Datatype)));
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(request, cancellationToken: Ct).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("input 'x_bool' has 'contents', but the request has raw_input_contents; send one.", error.Status.Detail);
    }

    private static ModelInferRequest TypedRequest()
    {
        var request = new ModelInferRequest { ModelName = "typed-types" };
        foreach (var (datatype, _) in TypedTypesServer.Datatypes)
        {
            var input = GrpcTests.Input(datatype);
            input.Contents = Contents(datatype);
            request.Inputs.Add(input);
        }

        return request;
    }
}
