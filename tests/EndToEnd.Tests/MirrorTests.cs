using System.Net;
using System.Net.Http.Json;
using System.Text;
using Grpc.Net.Client;
using ModelPlatform.Contracts;
using ModelPlatform.SampleInference.Grpc.V2;
using ModelPlatform.Testing;

namespace ModelPlatform.EndToEnd.Tests;

/// <summary>
/// Shadow tests on the real suite: a deployer, its reference-server replicas and a gateway, all
/// processes. Callers get stable's answers; the comparison says how the canary would have answered.
/// Only REST calls are copied.
/// </summary>
public sealed class MirrorTests(SuiteFixture suite) : IClassFixture<SuiteFixture>
{
    private static readonly float[] Weights = [1f, 1f, 1f];
    private static readonly float[] OtherWeights = [1f, 1f, 1.01f];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_canary_of_the_same_model_agrees_on_every_json_and_binary_answer()
    {
        var model = ScoresModel("same.onnx", Weights);
        await ShadowAsync("shadow-same", model, ScoresModel("same-again.onnx", Weights));

        for (var i = 0; i < 6; i++)
        {
            using var response = await InferAsync("shadow-same", binary: i % 2 == 1, $"same-{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(VariantNames.Stable, response.Headers.GetValues("x-model-variant").Single());
        }

        var comparison = await WaitForComparisonAsync("shadow-same", c => c.Compared >= 6);
        Assert.Equal((6L, 6L, 0L, 0L), (comparison.Mirrored, comparison.Compared, comparison.Disagreeing, comparison.CanaryErrors));
        Assert.Equal((1.0, 1.0, 0.0), (comparison.AgreementRate, comparison.ArgmaxAgreementRate, comparison.DisagreementRate));
        Assert.Equal(6, comparison.MaxAbsDiff[0].Count);
    }

    [Fact]
    public async Task A_canary_with_other_weights_disagrees_by_its_difference_and_a_new_canary_starts_afresh()
    {
        await ShadowAsync("shadow-other", ScoresModel("stable.onnx", Weights), ScoresModel("other.onnx", OtherWeights));

        for (var i = 0; i < 4; i++)
        {
            using var response = await InferAsync("shadow-other", binary: i % 2 == 1, $"other-{i}");
            // The caller gets stable's answer: 3 * 1, not 3 * 1.01.
            var answer = await response.Content.ReadAsByteArrayAsync(Ct);
            if (i % 2 == 1)
            {
                Assert.Equal(3f, BitConverter.ToSingle(answer, answer.Length - 4));
            }
            else
            {
                Assert.Contains("[1,2,3]", Encoding.UTF8.GetString(answer).Replace(".0", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
            }
        }

        var comparison = await WaitForComparisonAsync("shadow-other", c => c.Compared >= 4);
        Assert.Equal((4L, 4L), (comparison.Compared, comparison.Disagreeing));
        Assert.Equal((0.0, 1.0, 1.0), (comparison.AgreementRate, comparison.ArgmaxAgreementRate, comparison.DisagreementRate));
        // x = [1, 2, 3]: the third score is 3.03 against 3, off by 0.03 (1%).
        var worst = comparison.Worst[0];
        Assert.Equal("scores", worst.Output);
        Assert.Equal(0.03, worst.MaxAbsDiff, 1e-5);
        Assert.Equal(0.01, worst.MaxRelDiff, 1e-5);
        Assert.StartsWith("other-", worst.RequestId, StringComparison.Ordinal);
        Assert.Equal(4, comparison.MaxAbsDiff.Single(bucket => bucket.Le == 0.1).Count);

        var before = comparison.Canary;
        await ShadowAsync("shadow-other", ScoresModel("stable.onnx", Weights), ScoresModel("retrained.onnx", Weights));
        var fresh = await WaitForComparisonAsync("shadow-other", c => c.Canary != before);
        Assert.Equal(0, fresh.Compared);
        using (await InferAsync("shadow-other", binary: false, "fresh"))
        {
        }

        var agreed = await WaitForComparisonAsync("shadow-other", c => c.Compared >= 1);
        Assert.Equal((1L, 0L), (agreed.Compared, agreed.Disagreeing));
    }

    [Fact]
    public async Task Grpc_calls_are_served_by_stable_and_not_copied_so_they_cost_the_comparison_nothing()
    {
        await ShadowAsync("shadow-grpc", ScoresModel("grpc.onnx", Weights), ScoresModel("grpc-again.onnx", Weights));
        using var channel = GrpcChannel.ForAddress(suite.GatewayGrpc);
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        for (var i = 0; i < 3; i++)
        {
            using var call = client.ModelInferAsync(new ModelInferRequest
            {
                ModelName = "shadow-grpc",
                Inputs = { new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32", Shape = { 1, 3 }, Contents = new() { Fp32Contents = { 1f, 2f, 3f } } } },
            }, cancellationToken: Ct);
            Assert.Equal([1f, 2f, 3f], (await call.ResponseAsync).Outputs.Single().Contents.Fp32Contents);
            Assert.Equal(VariantNames.Stable, (await call.ResponseHeadersAsync).GetValue("x-model-variant"));
        }

        using (await InferAsync("shadow-grpc", binary: false, "rest-after-grpc"))
        {
        }

        // Copies leave in order through one queue: once the REST call's is compared, a gRPC one would have been counted.
        var comparison = await WaitForComparisonAsync("shadow-grpc", c => c.Compared >= 1);
        Assert.Equal((1L, 1L, 0L, 0L), (comparison.Mirrored, comparison.Compared, comparison.CanaryErrors, comparison.Dropped));
    }

    private string ScoresModel(string file, float[] weights) => TestModels.WriteWeightedScores(suite.ModelsDirectory, file, weights);

    /// <summary>Deploys (or replaces) <paramref name="name"/> with a dark canary that gets every stable request mirrored.</summary>
    private async Task ShadowAsync(string name, string stable, string canary)
    {
        var before = (await suite.GetAsync(name, Ct))?.Status.Revision ?? 0;
        using var put = await suite.Client.PutAsJsonAsync($"/v1/deployments/{name}", new
        {
            name,
            stable = suite.ModelVariant(uri: stable),
            canary = suite.ModelVariant(uri: canary),
            traffic = new { canary = 0, mirror = 100 },
        }, Ct);
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync(Ct));
        await suite.WaitForAsync(name, d => d.Status.ObservedRevision > before && d.Status.Phase == DeploymentPhase.Ready, cancellationToken: Ct);
        await suite.WaitForGatewaySyncAsync(Ct);
    }

    private async Task<HttpResponseMessage> InferAsync(string name, bool binary, string requestId)
    {
        var body = binary
            ? """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2,3]}],"parameters":{"binary_data_output":true}}"""
            : """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2,3]}]}""";
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/models/{name}/infer") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-request-id", requestId);
        return await suite.Gateway.SendAsync(request, Ct);
    }

    private async Task<DeploymentComparison> WaitForComparisonAsync(string name, Func<DeploymentComparison, bool> condition)
    {
        // Gateways report every two seconds; a few reports are plenty.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var comparison = (await suite.Client.GetFromJsonAsync<DeploymentComparison>($"/v1/deployments/{name}/comparison", DeployerHarness.Json, Ct))!;
            if (condition(comparison))
            {
                return comparison;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The comparison did not get there: {System.Text.Json.JsonSerializer.Serialize(comparison)}\n{suite.GatewayProcess.Output}");
            await Task.Delay(250, Ct);
        }
    }
}
