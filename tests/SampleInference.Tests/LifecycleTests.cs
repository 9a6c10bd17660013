using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelPlatform.Testing;

namespace ModelPlatform.SampleInference.Tests;

/// <summary>Start, readiness, load failures and graceful shutdown, each on a process of its own.</summary>
public sealed class LifecycleTests : IDisposable
{
    private readonly string _models = Directory.CreateTempSubdirectory("modelplatform-lifecycle-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_models, recursive: true);

    [Fact]
    public async Task Ready_is_400_with_an_empty_body_while_the_model_warms_up_and_200_after()
    {
        // A Loop of a few million iterations makes warm-up take seconds on any machine.
        var model = TestModels.WriteCountingLoop(_models, fixedIterations: 3_000_000);
        await using var server = Start(model, "slow");
        using var client = new HttpClient { BaseAddress = server.BaseAddress };

        await server.WaitUntilOkAsync("/v2/health/live", TimeSpan.FromSeconds(30), Ct);
        using var ready = await client.GetAsync("/v2/health/ready", Ct);
        using var modelReady = await client.GetAsync("/v2/models/slow/ready", Ct);
        using var infer = await client.PostAsJsonAsync("/v2/models/slow/infer",
            V2Requests.Request(V2Requests.Input("x", "FP32", [1], [1f])), Ct);

        using var report = await client.GetAsync("/readyz", Ct);

        // The protocol's health answers: 200 is true, 4xx is false, with an empty body (as Triton).
        Assert.Equal(HttpStatusCode.BadRequest, ready.StatusCode);
        Assert.Empty(await ready.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(HttpStatusCode.BadRequest, modelReady.StatusCode);
        Assert.Empty(await modelReady.Content.ReadAsByteArrayAsync(Ct));
        Assert.Contains("still loading", await report.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, infer.StatusCode);
        await server.WaitUntilOkAsync("/v2/health/ready", TimeSpan.FromSeconds(120), Ct);
    }

    [Fact]
    public async Task A_local_model_is_prepared_while_the_host_starts()
    {
        var model = TestModels.WriteAddMul(_models);
        await using var server = Start(model, "early");
        await server.WaitUntilOkAsync("/v2/health/ready", TimeSpan.FromSeconds(60), Ct);

        Assert.Contains("loaded from " + model + " on CPU in", server.Output, StringComparison.Ordinal);
        Assert.Contains("(prepared while the host started); ready", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_stops_readiness_finishes_in_flight_requests_and_exits_cleanly()
    {
        var model = TestModels.WriteCountingLoop(_models);
        // Generous delay and drain: on a busy machine the requests below take seconds, not milliseconds,
        // and a late request that arrives after the delay would find the port closed.
        await using var server = Start(model, "counter", ("Inference__ShutdownDelay", "00:00:08"), ("Inference__DrainTimeout", "00:02:00"));
        using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        await server.WaitUntilOkAsync("/v2/health/ready", TimeSpan.FromSeconds(60), Ct);

        // About fifteen seconds of compute on an idle machine: still running when the shutdown delay ends.
        var slow = client.PostAsJsonAsync("/v2/models/counter/infer", Counting(x: 1, iterations: 15_000_000), Ct);
        await Task.Delay(300, Ct);
        server.Terminate();
        await Task.Delay(300, Ct);

        using var ready = await client.GetAsync("/v2/health/ready", Ct);
        using var report = await client.GetAsync("/readyz", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, ready.StatusCode);
        Assert.Empty(await ready.Content.ReadAsByteArrayAsync(Ct));
        Assert.Contains("shutting down", await report.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        using var late = await client.PostAsJsonAsync("/v2/models/counter/infer", Counting(x: 5, iterations: 10), Ct);
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);

        using var response = await slow;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>(Ct);
        Assert.Equal(15_000_001f, body!["outputs"]![0]!["data"]![0]!.GetValue<float>());
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task A_file_that_is_not_a_model_ends_the_process_with_code_3_and_the_reason_in_the_log_and_the_termination_message()
    {
        var path = Path.Combine(_models, "broken.onnx");
        var message = Path.Combine(_models, "termination-message");
        await File.WriteAllTextAsync(path, "this is not a protobuf", Ct);
        await using var server = Start(path, "broken", ("TERMINATION_MESSAGE_PATH", message));

        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(3, exitCode);
        Assert.Contains("'broken' failed to load", server.Output, StringComparison.Ordinal);
        Assert.Contains("Protobuf parsing failed", await File.ReadAllTextAsync(message, Ct), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/no/such/model.onnx", "no model file at '/no/such/model.onnx'")]
    [InlineData("https://example.invalid/model.onnx", "MODEL_SHA256 is required with an http(s) MODEL_URI")]
    [InlineData("ftp://example.invalid/model.onnx", "scheme 'ftp' is not supported")]
    public async Task A_model_uri_that_cannot_be_served_fails_the_start_saying_why(string uri, string expected)
    {
        var message = Path.Combine(_models, "termination-message");
        await using var server = Start(uri, "missing", ("TERMINATION_MESSAGE_PATH", message));

        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        Assert.Contains(expected, server.Output, StringComparison.Ordinal);
        Assert.Contains(expected, await File.ReadAllTextAsync(message, Ct), StringComparison.Ordinal);
    }

    private static JsonObject Counting(float x, long iterations) => V2Requests.Request(
        V2Requests.Input("x", "FP32", [1], [x]),
        V2Requests.Input("iterations", "INT64", [], [iterations]));

    private static ServerProcess Start(string modelUri, string name, params (string Key, string Value)[] settings)
    {
        var port = FreePort.Next();
        var environment = new Dictionary<string, string>
        {
            ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MODEL_URI"] = modelUri,
            ["MODEL_NAME"] = name,
            ["Inference__BindAddress"] = "127.0.0.1",
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        return ServerProcess.Start(RepositoryPaths.SampleInferenceDll, port, environment);
    }
}
