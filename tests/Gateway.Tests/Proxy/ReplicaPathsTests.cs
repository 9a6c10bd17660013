using ModelPlatform.Gateway.Proxy;

namespace ModelPlatform.Gateway.Tests.Proxy;

/// <summary>Which paths of a model the gateway passes to its replicas: the model's, not one replica's operations.</summary>
public sealed class ReplicaPathsTests
{
    [Theory]
    [InlineData("/v2/models/m")]
    [InlineData("/v2/models/m/ready")]
    [InlineData("/v2/models/m/infer")]
    [InlineData("/v2/models/m/versions/1")]
    [InlineData("/v2/models/m/versions/1/infer")]
    [InlineData("/v2/models/m/generate")]
    [InlineData("/models/m/v2/models/m/infer")]
    [InlineData("/models/m/v1/models/m:predict")]
    [InlineData("/models/m/predict")]
    [InlineData("/models/m/api/v1.0/predictions")]
    [InlineData("/models/m/")]
    [InlineData("/models/m/metrics-of-my-model")]
    [InlineData("/models/m/docs/metrics")]
    public void The_models_own_paths_are_public(string path) => Assert.True(ReplicaPaths.IsPublic(path, "m"));

    [Theory]
    [InlineData("/models/m/metrics")]
    [InlineData("/models/m/healthz")]
    [InlineData("/models/m/livez")]
    [InlineData("/models/m/readyz")]
    [InlineData("/models/m/v2")]
    [InlineData("/models/m/v2/health/live")]
    [InlineData("/models/m/v2/health/ready")]
    [InlineData("/models/m/v2/models")]
    [InlineData("/models/m/v2/repository/models/m/unload")]
    [InlineData("/models/m/v2/logging")]
    [InlineData("/models/m/v2/models/m/versions/1/trace/setting")]
    [InlineData("/v2/models/m/trace/setting")]
    public void A_replicas_operational_paths_are_not(string path) => Assert.False(ReplicaPaths.IsPublic(path, "m"));

    [Theory]
    [InlineData("/v2/models/m/stats")]
    [InlineData("/v2/models/m/versions/1/stats")]
    [InlineData("/models/m/v2/models/m/stats")]
    public void A_models_own_statistics_are_public(string path) => Assert.True(ReplicaPaths.IsPublic(path, "m"));

    [Theory]
    [InlineData("/models/m/METRICS")]
    [InlineData("/models/m/metrics/")]
    [InlineData("/models/m//metrics")]
    [InlineData("/MODELS/M/Metrics")]
    [InlineData("/models/m/V2//Health/ready")]
    [InlineData("/V2/Models/m/Trace/setting")]
    public void Case_and_empty_segments_do_not_get_around_the_refusal(string path) => Assert.False(ReplicaPaths.IsPublic(path, "m"));

    [Fact]
    public void The_models_name_is_skipped_whatever_it_says()
    {
        // A model named like an operational path is still a model: its own paths are public.
        Assert.True(ReplicaPaths.IsPublic("/models/metrics/predict", "metrics"));
        Assert.True(ReplicaPaths.IsPublic("/v2/models/stats/infer", "stats"));
        Assert.False(ReplicaPaths.IsPublic("/models/metrics/metrics", "metrics"));
    }
}
