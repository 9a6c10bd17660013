using Microsoft.Extensions.Configuration;
using ModelPlatform.SampleInference.Configuration;
using ModelPlatform.SampleInference.Runtime;
using ModelPlatform.Testing;

namespace ModelPlatform.SampleInference.Tests;

/// <summary>The model's preparation begun from the configuration alone, before the host is built.</summary>
public sealed class ModelPreloadTests : IDisposable
{
    private readonly string _models = Directory.CreateTempSubdirectory("modelplatform-preload-").FullName;

    public void Dispose() => Directory.Delete(_models, recursive: true);

    [Fact]
    public async Task A_local_model_is_prepared_from_the_configuration_and_handed_over_once()
    {
        var model = TestModels.WriteAddMul(_models);
        var preload = ModelPreload.Start(Configuration(("Inference:ModelUri", model), ("Inference:ExecutionProvider", "Cpu")));

        var early = preload.Take(Settings(model));

        Assert.NotNull(early);
        using var prepared = new PreparedModelScope(await early);
        Assert.Equal(model, prepared.Model.Model.Path);
        Assert.Equal(ExecutionProviders.Cpu, prepared.Model.Model.ExecutionProvider);
        Assert.Null(prepared.Model.WarmUpFailure);
        Assert.Null(preload.Take(Settings(model)));
    }

    [Fact]
    public async Task Other_final_settings_are_not_given_the_early_model()
    {
        var model = TestModels.WriteAddMul(_models);
        var preload = ModelPreload.Start(Configuration(("Inference:ModelUri", model), ("Inference:ExecutionProvider", "Cpu")));

        Assert.Null(preload.Take(Settings(model) with { IntraOpThreads = 1 }));
        Assert.Null(preload.Take(Settings(model)));
    }

    [Theory]
    [InlineData("https://models.example/add_mul.onnx")]
    [InlineData("/no/such/folder/model.onnx")]
    public void Downloads_and_missing_files_are_left_to_the_loader(string modelUri)
    {
        var preload = ModelPreload.Start(Configuration(("Inference:ModelUri", modelUri)));

        Assert.Same(ModelPreload.None, preload);
    }

    [Fact]
    public void Options_that_do_not_validate_are_left_to_the_loader_which_reports_them()
    {
        var model = TestModels.WriteAddMul(_models);

        var preload = ModelPreload.Start(Configuration(("Inference:ModelUri", model), ("Inference:IntraOpThreads", "-1")));

        Assert.Same(ModelPreload.None, preload);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    private static SessionSettings Settings(string model) =>
        SessionSettings.From(model, new InferenceServerOptions { ModelUri = model, ExecutionProvider = ExecutionProviderPreference.Cpu });

    private sealed class PreparedModelScope(PreparedModel model) : IDisposable
    {
        public PreparedModel Model { get; } = model;

        public void Dispose() => Model.Model.Dispose();
    }
}
