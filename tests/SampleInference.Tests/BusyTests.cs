using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Microsoft.Extensions.Options;
using ModelPlatform.SampleInference.Configuration;
using ModelPlatform.SampleInference.Grpc.V2;
using ModelPlatform.SampleInference.Inference;
using ModelPlatform.SampleInference.Tests.Fixtures;

namespace ModelPlatform.SampleInference.Tests;

/// <summary>Bounded concurrency: beyond the running and waiting limits, a clear busy answer, while probes still answer.</summary>
public sealed class BusyTests(OneAtATimeServer server) : IClassFixture<OneAtATimeServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_full_server_answers_busy_over_rest_and_grpc_and_stays_ready()
    {
        // A run of billions of iterations holds the one turn until its client goes away.
        using var hold = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var (slow, busy) = await UntilBusyAsync(hold.Token);
        var grpc = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(GrpcCounting(), cancellationToken: Ct).ResponseAsync);
        using var ready = await server.Client.GetAsync("/v2/health/ready", Ct);
        var grpcReady = await server.Grpc.ServerReadyAsync(new ServerReadyRequest(), cancellationToken: Ct);

        Assert.Equal("The server is busy: 1 inference(s) are running and 0 waiting, its limits; retry later.", busy);
        Assert.Equal(StatusCode.ResourceExhausted, grpc.StatusCode);
        Assert.Equal(busy, grpc.Status.Detail);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.True(grpcReady.Ready);

        await hold.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow);
        var after = await UntilServedAsync();
        Assert.Equal(6f, after.RawOutputContents.Count > 0 ? BitConverter.ToSingle(after.RawOutputContents[0].Span) : after.Outputs[0].Contents.Fp32Contents[0]);
    }

    [Fact]
    public async Task Waiting_requests_take_their_turn_in_order_and_the_queue_is_bounded()
    {
        using var admission = new InferenceAdmission(Options.Create(new InferenceServerOptions { MaxConcurrentInferences = 1, MaxQueuedInferences = 1 }));

        var first = await admission.EnterAsync(Ct);
        var second = admission.EnterAsync(Ct);
        var third = await admission.EnterAsync(Ct);

        Assert.NotNull(first);
        Assert.False(second.IsCompleted);
        Assert.Null(third);
        first.Dispose();
        using var turn = await second;
        Assert.NotNull(turn);
    }

    /// <summary>Starts the long run and probes until a probe is refused: the long run then holds the turn.</summary>
    private async Task<(Task<HttpResponseMessage> Slow, string Busy)> UntilBusyAsync(CancellationToken hold)
    {
        var slow = StartSlow(hold);
        while (true)
        {
            if (slow.IsCompleted)
            {
                // A probe had the turn when the long run arrived, and it was refused: start it again.
                (await slow).Dispose();
                slow = StartSlow(hold);
            }

            using var response = await server.Client.PostAsJsonAsync("/v2/models/counter/infer", Counting(1, 1), Ct);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                return (slow, V2Requests.Error((await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!));
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await Task.Delay(20, Ct);
        }
    }

    private Task<HttpResponseMessage> StartSlow(CancellationToken hold) =>
        server.Client.PostAsJsonAsync("/v2/models/counter/infer", Counting(1, 5_000_000_000), hold);

    private async Task<ModelInferResponse> UntilServedAsync()
    {
        while (true)
        {
            try
            {
                return await server.Grpc.ModelInferAsync(GrpcCounting(), cancellationToken: Ct);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
            {
                // The cancelled run stops at ONNX Runtime's next check; until then its turn is taken.
                await Task.Delay(20, Ct);
            }
        }
    }

    private static JsonObject Counting(float x, long iterations) => V2Requests.Request(
        V2Requests.Input("x", "FP32", [1], [x]),
        V2Requests.Input("iterations", "INT64", [], [iterations]));

    private static ModelInferRequest GrpcCounting()
    {
        var request = new ModelInferRequest { ModelName = "counter" };
        var x = new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32", Contents = new InferTensorContents() };
        x.Shape.Add(1);
        x.Contents.Fp32Contents.Add(1f);
        var iterations = new ModelInferRequest.Types.InferInputTensor { Name = "iterations", Datatype = "INT64", Contents = new InferTensorContents() };
        iterations.Contents.Int64Contents.Add(5);
        request.Inputs.Add(x);
        request.Inputs.Add(iterations);
        return request;
    }
}
