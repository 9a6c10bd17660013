using Microsoft.Extensions.Options;
using ModelPlatform.SampleInference.Configuration;
using ModelPlatform.SampleInference.Grpc.V2;

namespace ModelPlatform.SampleInference.Tests;

/// <summary>The wire names and numbers stock clients depend on, and the gRPC port's settings.</summary>
public sealed class GrpcContractTests
{
    [Fact]
    public void Service_and_fields_keep_the_protocols_names_and_numbers()
    {
        Assert.Equal("inference.GRPCInferenceService", GrpcPredictV2Reflection.Descriptor.Services.Single().FullName);
        Assert.Equal("inference.ModelInferRequest", ModelInferRequest.Descriptor.FullName);
        Assert.Equal(7, ModelInferRequest.RawInputContentsFieldNumber);
        Assert.Equal(6, ModelInferResponse.RawOutputContentsFieldNumber);
        Assert.Equal(5, ModelInferRequest.Types.InferInputTensor.ContentsFieldNumber);
        Assert.Equal(8, InferTensorContents.BytesContentsFieldNumber);
        Assert.Equal(3, InferParameter.StringParamFieldNumber);
    }

    [Fact]
    public void Grpc_port_comes_from_the_contract_variable()
    {
        var settings = ContractEnvironment.Read(name => name == "GRPC_PORT" ? "8081" : null).ToDictionary();

        Assert.Equal("8081", settings["Inference:GrpcPort"]);
    }

    [Fact]
    public void Grpc_port_may_not_be_the_http_port()
    {
        var result = new InferenceServerOptionsValidator().Validate(null, new InferenceServerOptions { Port = 9000, GrpcPort = 9000 });

        Assert.True(result.Failed);
        Assert.Contains("GRPC_PORT 9000 is also the HTTP port", result.FailureMessage, StringComparison.Ordinal);
    }
}
