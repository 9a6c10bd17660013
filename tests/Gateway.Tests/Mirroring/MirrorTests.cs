using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ModelPlatform.Contracts;

namespace ModelPlatform.Gateway.Tests.Mirroring;

/// <summary>
/// Shadow traffic through the real gateway (YARP, in process) to stand-in replicas over real HTTP:
/// what is copied, when, what is compared, and that the canary never reaches the caller.
/// </summary>
public sealed class MirrorTests
{
    private const string Request = """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2,3]}]}""";
    private static readonly float[] Scores = [0.1f, 0.7f, 0.2f];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Func<HttpContext, Task> Answers(byte[] body, string? headerLength = null) => async context =>
    {
        context.Response.ContentType = headerLength is null ? "application/json" : "application/octet-stream";
        if (headerLength is not null)
        {
            context.Response.Headers["Inference-Header-Content-Length"] = headerLength;
        }

        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    };

    private static RecordedRequest[] Infers(HttpStandIn replica) => [.. replica.Requests.Where(r => r.PathAndQuery.EndsWith("/infer", StringComparison.Ordinal))];

    [Fact]
    public async Task Mirror_100_copies_every_stable_request_to_the_canary_and_the_same_model_agrees_fully()
    {
        await using var stable = await HttpStandIn.StartAsync(Answers(InferenceAnswers.Json(Scores)), Ct);
        await using var canary = await HttpStandIn.StartAsync(Answers(InferenceAnswers.Json(Scores)), Ct);
        await using var gateway = await MirrorGateway.StartAsync(MirrorGateway.Table(1, stable.BaseAddress, canary.BaseAddress.ToString(), 0, 100), null, Ct);

        for (var i = 0; i < 5; i++)
        {
            using var response = await gateway.InferAsync(Request, Ct, requestId: $"req-{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("stable", response.Headers.GetValues("x-model-variant").Single());
        }

        await gateway.WaitUntilAsync(() => gateway.CountsOf()?.Compared == 5, Ct);
        var counts = gateway.CountsOf()!;
        Assert.Equal((5L, 5L, 0L, 0L), (counts.Mirrored, counts.WithinTolerance, counts.Disagreeing, counts.CanaryErrors));
        Assert.Equal((5L, 5L), (counts.ArgmaxCompared, counts.ArgmaxAgreed));
        Assert.Equal(5, counts.MaxAbsDiffBuckets[0]);
        var copies = Infers(canary);
        Assert.Equal(5, copies.Length);
        Assert.All(copies, copy =>
        {
            Assert.Equal(Request, Encoding.UTF8.GetString(copy.Body));
            Assert.Equal("true", copy.Headers["x-mirrored"]);
            Assert.StartsWith("application/json", copy.Headers["content-type"], StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task A_canary_with_other_weights_disagrees_by_the_difference_it_answers()
    {
        float[] shifted = [0.1f, 0.2f, 0.7f];
        await using var stable = await HttpStandIn.StartAsync(Answers(InferenceAnswers.Json(Scores)), Ct);
        await using var canary = await HttpStandIn.StartAsync(Answers(InferenceAnswers.Json(shifted)), Ct);
        await using var gateway = await MirrorGateway.StartAsync(MirrorGateway.Table(1, stable.BaseAddress, canary.BaseAddress.ToString(), 0, 100), null, Ct);

        for (var i = 0; i < 3; i++)
        {
            using var response = await gateway.InferAsync(Request, Ct, requestId: $"other-{i}");
            Assert.Equal(InferenceAnswers.Json(Scores), await response.Content.ReadAsByteArrayAsync(Ct));
        }

        await gateway.WaitUntilAsync(() => gateway.CountsOf()?.Compared == 3, Ct);
        var counts = gateway.CountsOf()!;
        Assert.Equal((0L, 3L, 3L, 0L), (counts.WithinTolerance, counts.Disagreeing, counts.ArgmaxCompared, counts.ArgmaxAgreed));
        // The largest difference is 0.5 (0.7 against 0.2): the bucket up to 1.
        var bucket = ComparisonBuckets.MaxAbsDiffBounds.ToList().IndexOf(1);
        Assert.Equal(3, counts.MaxAbsDiffBuckets[bucket]);
        var worst = counts.Worst[0];
        Assert.StartsWith("other-", worst.RequestId, StringComparison.Ordinal);
        Assert.Equal("scores", worst.Output);
        Assert.Equal(0.5, worst.MaxAbsDiff, 1e-6);
        Assert.Equal(2.5, worst.MaxRelDiff, 1e-5);
        Assert.False(worst.ArgmaxAgrees);
    }

    [Fact]
    public async Task Binary_answers_compare_tensor_by_tensor()
    {
        var (stableBody, stableHeader) = InferenceAnswers.Binary([0.1f, 0.7f, 0.2f, 0.5f, 0.25f, 0.25f], rows: 2);
        var (canaryBody, canaryHeader) = InferenceAnswers.Binary([0.1f, 0.7f, 0.2f, 0.5f, 0.25f, 0.2502f], rows: 2);
        await using var stable = await HttpStandIn.StartAsync(Answers(stableBody, stableHeader), Ct);
        await using var canary = await HttpStandIn.StartAsync(Answers(canaryBody, canaryHeader), Ct);
        await using var gateway = await MirrorGateway.StartAsync(MirrorGateway.Table(1, stable.BaseAddress, canary.BaseAddress.ToString(), 0, 100), null, Ct);

        using var response = await gateway.InferAsync(Request, Ct);
        Assert.Equal(stableBody, await response.Content.ReadAsByteArrayAsync(Ct));

        await gateway.WaitUntilAsync(() => gateway.CountsOf()?.Compared == 1, Ct);
        var counts = gateway.CountsOf()!;
        // 2e-4 off 0.25 is inside atol 1e-5 + rtol 1e-3 * 0.25 = 2.6e-4, and the arg-max of both rows agrees.
        Assert.Equal((1L, 0L, 1L), (counts.WithinTolerance, counts.Disagreeing, counts.ArgmaxAgreed));
        Assert.Equal(1, counts.MaxAbsDiffBuckets[ComparisonBuckets.MaxAbsDiffBounds.ToList().IndexOf(1e-3)]);
    }

    [Fact]
    public async Task The_callers_answer_is_finished_before_the_copy_is_made_even_when_it_is_chunked()
    {
        // Stable answers without a length (chunked); after the mirror step, the gateway's request holds
        // until the caller has read the whole answer. The last chunk must not wait for that.
        var callerHasAnswer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var stable = await HttpStandIn.StartAsync(async context =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.StartAsync(context.RequestAborted);
            await context.Response.Body.WriteAsync(InferenceAnswers.Json(Scores), context.RequestAborted);
        }, Ct);
        await using var canary = await HttpStandIn.StartAsync(Answers(InferenceAnswers.Json(Scores)), Ct);
        await using var gateway = await MirrorGateway.StartAsync(
            MirrorGateway.Table(1, stable.BaseAddress, canary.BaseAddress.ToString(), 0, 100), null, Ct,
            services => services.AddSingleton<IStartupFilter>(new HoldAfterInference(callerHasAnswer.Task)));

        using var response = await gateway.InferAsync(Request, Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.True(response.Headers.TransferEncodingChunked);
        Assert.Equal(InferenceAnswers.Json(Scores), await response.Content.ReadAsByteArrayAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct));
        callerHasAnswer.SetResult();

        await gateway.WaitUntilAsync(() => gateway.CountsOf()?.Compared == 1, Ct);
        Assert.Equal(1, gateway.CountsOf()!.WithinTolerance);
    }

    [Fact]
    public async Task A_canary_that_never_answers_fails_no_caller_and_the_full_queue_drops_and_counts()
    {
        var neverAnswered = new TaskCompletionSource();
        await using var stable = await HttpStandIn.StartAsync(Answers(InferenceAnswers.Json(Scores)), Ct);
        await using var canary = await HttpStandIn.StartAsync(async context => await neverAnswered.Task.WaitAsync(context.RequestAborted), Ct);
        await using var gateway = await MirrorGateway.StartAsync(
            MirrorGateway.Table(1, stable.BaseAddress, canary.BaseAddress.ToString(), 0, 100),
            new Dictionary<string, string?> { ["Gateway:Mirror:QueueCapacity"] = "1", ["Gateway:Mirror:Senders"] = "1", ["Gateway:Mirror:Timeout"] = "00:10:00" },
            Ct);

        const int Requests = 8;
        for (var i = 0; i < Requests; i++)
        {
            using var response = await gateway.InferAsync(Request, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(InferenceAnswers.Json(Scores), await response.Content.ReadAsByteArrayAsync(Ct));
        }

        // One copy hangs in the only sender, one waits in the queue of one: the rest are dropped.
        await gateway.WaitUntilAsync(() => gateway.CountsOf()?.Dropped >= Requests - 2, Ct);
        Assert.Equal(0, gateway.CountsOf()!.Compared);
        neverAnswered.SetResult();
    }

    [Fact]
    public async Task A_canary_that_is_down_fails_no_caller_and_counts_canary_errors()
    {
        await using var stable = await HttpStandIn.StartAsync(Answers(InferenceAnswers.Json(Scores)), Ct);
        // Bound but not listening: connections are refused, and no other test can take the port meanwhile.
        using var closed = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var nothingListens = $"http://127.0.0.1:{((IPEndPoint)closed.LocalEndPoint!).Port}";
        await using var gateway = await MirrorGateway.StartAsync(MirrorGateway.Table(1, stable.BaseAddress, nothingListens, 0, 100), null, Ct);

        for (var i = 0; i < 4; i++)
        {
            using var response = await gateway.InferAsync(Request, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(InferenceAnswers.Json(Scores), await response.Content.ReadAsByteArrayAsync(Ct));
        }

        await gateway.WaitUntilAsync(() => gateway.CountsOf()?.CanaryErrors == 4, Ct);
        Assert.Equal(0, gateway.CountsOf()!.Compared);
    }

    [Fact]
    public async Task Pinned_requests_are_not_copied()
    {
        await using var stable = await HttpStandIn.StartAsync(Answers(InferenceAnswers.Json(Scores)), Ct);
        await using var canary = await HttpStandIn.StartAsync(Answers(InferenceAnswers.Json(Scores)), Ct);
        await using var gateway = await MirrorGateway.StartAsync(MirrorGateway.Table(1, stable.BaseAddress, canary.BaseAddress.ToString(), 0, 100), null, Ct);

        for (var i = 0; i < 3; i++)
        {
            using var pinned = await gateway.InferAsync(Request, Ct, pin: "stable", requestId: "pinned");
            Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
        }

        using var unpinned = await gateway.InferAsync(Request, Ct, requestId: "unpinned");
        await gateway.WaitUntilAsync(() => gateway.CountsOf()?.Compared == 1, Ct);

        // Copies go out in order through one queue: the unpinned request's came, the pinned ones' never did.
        var copy = Assert.Single(Infers(canary));
        Assert.Equal("unpinned", copy.Headers["x-request-id"]);
        Assert.Equal(3 + 1, Infers(stable).Length);
    }

    [Fact]
    public async Task Half_mirroring_copies_every_other_request_stable_serves()
    {
        await using var stable = await HttpStandIn.StartAsync(Answers(InferenceAnswers.Json(Scores)), Ct);
        await using var canary = await HttpStandIn.StartAsync(Answers(InferenceAnswers.Json(Scores)), Ct);
        await using var gateway = await MirrorGateway.StartAsync(MirrorGateway.Table(1, stable.BaseAddress, canary.BaseAddress.ToString(), 0, 50), null, Ct);

        for (var i = 0; i < 10; i++)
        {
            using var response = await gateway.InferAsync(Request, Ct, requestId: $"half-{i}");
        }

        await gateway.WaitUntilAsync(() => gateway.CountsOf()?.Compared == 5, Ct);
        Assert.Equal(["half-0", "half-2", "half-4", "half-6", "half-8"], Infers(canary).Select(r => r.Headers["x-request-id"]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_body_larger_than_the_mirror_buffer_is_not_copied_and_is_counted()
    {
        await using var stable = await HttpStandIn.StartAsync(Answers(InferenceAnswers.Json(Scores)), Ct);
        await using var canary = await HttpStandIn.StartAsync(Answers(InferenceAnswers.Json(Scores)), Ct);
        await using var gateway = await MirrorGateway.StartAsync(
            MirrorGateway.Table(1, stable.BaseAddress, canary.BaseAddress.ToString(), 0, 100),
            new Dictionary<string, string?> { ["Gateway:Mirror:MaxBodyBytes"] = "1024" }, Ct);

        using var large = await gateway.InferAsync(Request + new string(' ', 2048), Ct, requestId: "large");
        Assert.Equal(HttpStatusCode.OK, large.StatusCode);
        using var small = await gateway.InferAsync(Request, Ct, requestId: "small");

        await gateway.WaitUntilAsync(() => gateway.CountsOf() is { TooLarge: 1, Compared: 1 }, Ct);
        Assert.Equal("small", Assert.Single(Infers(canary)).Headers["x-request-id"]);
    }

    [Fact]
    public async Task A_new_canary_starts_a_new_comparison_and_the_report_carries_only_it()
    {
        await using var stable = await HttpStandIn.StartAsync(Answers(InferenceAnswers.Json(Scores)), Ct);
        await using var canary = await HttpStandIn.StartAsync(Answers(InferenceAnswers.Json(Scores)), Ct);
        await using var gateway = await MirrorGateway.StartAsync(MirrorGateway.Table(1, stable.BaseAddress, canary.BaseAddress.ToString(), 0, 100), null, Ct);
        using (var first = await gateway.InferAsync(Request, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal("stable", first.Headers.GetValues("x-model-variant").Single());
        }

        await gateway.WaitUntilAsync(() => gateway.Reports.Any(r => r.Models.Any(m => m.Canary == "m-canary-1" && m.Compared == 1)), Ct);

        gateway.Publish(MirrorGateway.Table(2, stable.BaseAddress, canary.BaseAddress.ToString(), 0, 100, canarySet: "m-canary-2"));
        await gateway.WaitUntilAsync(async () =>
        {
            using var response = await gateway.InferAsync(Request, Ct);
            return gateway.Reports.Any(r => r.Models.Any(m => m.Canary == "m-canary-2" && m.Compared >= 1));
        }, Ct);

        var last = gateway.Reports.Last();
        Assert.Equal("m-canary-2", Assert.Single(last.Models).Canary);
    }

    /// <summary>Holds each inference request, once the gateway's pipeline is done with it, until <paramref name="release"/> completes.</summary>
    private sealed class HoldAfterInference(Task release) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, inner) =>
            {
                await inner(context);
                if (context.Request.Path.Value?.EndsWith("/infer", StringComparison.Ordinal) == true)
                {
                    await release.WaitAsync(TimeSpan.FromSeconds(60));
                }
            });
            next(app);
        };
    }
}
