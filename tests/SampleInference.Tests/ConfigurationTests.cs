using ModelPlatform.SampleInference.Configuration;
using ModelPlatform.SampleInference.Runtime;

namespace ModelPlatform.SampleInference.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public void Contract_variables_map_onto_the_inference_section()
    {
        var variables = new Dictionary<string, string?> { ["PORT"] = "9000", ["MODEL_NAME"] = "m", ["MODEL_URI"] = "/models/m.onnx" };

        var settings = ContractEnvironment.Read(name => variables.GetValueOrDefault(name)).ToDictionary();

        Assert.Equal("9000", settings["Inference:Port"]);
        Assert.Equal("m", settings["Inference:ModelName"]);
        Assert.Equal("/models/m.onnx", settings["Inference:ModelUri"]);
    }

    [Fact]
    public void Unset_contract_variables_leave_the_defaults_alone()
    {
        Assert.Empty(ContractEnvironment.Read(_ => null));
    }

    [Theory]
    [InlineData("file:///models/a.onnx", "/models/a.onnx")]
    [InlineData("/models/b.onnx", "/models/b.onnx")]
    public void Model_uri_is_a_path_or_a_file_uri(string uri, string expected)
    {
        Assert.True(ModelLocation.TryResolvePath(uri, out var path, out var error));
        Assert.Null(error);
        Assert.Equal(expected, path);
    }

    [Fact]
    public void Without_a_model_uri_the_bundled_resnet18_is_served()
    {
        Assert.True(ModelLocation.TryResolvePath(null, out var path, out _));
        Assert.Equal(ModelLocation.BundledModelPath, path);
        Assert.Equal("resnet18", ModelLocation.DefaultModelName(null, path));
    }

    [Fact]
    public void Model_name_defaults_to_the_file_name()
    {
        Assert.Equal("my-model", ModelLocation.DefaultModelName("/x/My-Model.onnx", "/x/My-Model.onnx"));
    }

    [Fact]
    public void Validator_names_every_problem()
    {
        var options = new InferenceServerOptions { BindAddress = "nowhere", ModelUri = "s3://bucket/m.onnx", ModelName = "bad name!" };

        var result = new InferenceServerOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("BindAddress", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("scheme 's3'", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("MODEL_NAME", StringComparison.Ordinal));
    }

    [Fact]
    public void Readiness_follows_loading_failure_and_draining()
    {
        using var host = new ModelHost("m", "1");
        Assert.Equal(ModelState.Loading, host.State);
        Assert.False(host.IsReady);
        Assert.Contains("loading", host.NotReadyReason, StringComparison.Ordinal);

        host.SetFailed("bad file");
        Assert.Equal(ModelState.Failed, host.State);
        Assert.Contains("bad file", host.NotReadyReason, StringComparison.Ordinal);

        host.BeginDrain();
        Assert.False(host.IsReady);
        Assert.Contains("shutting down", host.NotReadyReason, StringComparison.Ordinal);
    }
}
