using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.EndToEnd.Tests.Fuzzing;

/// <summary>
/// Thousands of generated malformed and hostile requests at the deployer's API and at the gateway:
/// never a 5xx, never a crash, nothing stored. Seeded, so a failure replays exactly.
/// </summary>
public sealed class FuzzTests : IAsyncLifetime
{
    private const int Seed = 20261125;
    private const int DeployerRequests = 3000;
    private const int GatewayRequests = 2000;
    private const int Workers = 4;
    private const string Target = "fuzz-target";

    private readonly SuiteFixture _suite = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _suite.InitializeAsync();

    public ValueTask DisposeAsync() => _suite.DisposeAsync();

    [Fact]
    public async Task Hostile_requests_get_4xx_answers_and_change_nothing()
    {
        var target = await _suite.DeployAsync(Target, _suite.ModelVariant(), null, 0, Ct);
        var routesBefore = await _suite.RoutesAsync(Ct);
        var replicasBefore = _suite.Replicas(Target).Order().ToList();
        var logFoldersBefore = Directory.GetDirectories(Path.Combine(_suite.DataDirectory, "logs")).Order().ToList();

        var deployer = await FuzzAsync(_suite.Client, DeployerRequests, seed => DeployerRequest(new HostileInput(seed, _suite.ModelsDirectory)));
        var gateway = await FuzzAsync(_suite.Gateway, GatewayRequests, seed => GatewayRequest(new HostileInput(seed, _suite.ModelsDirectory)));

        TestContext.Current.TestOutputHelper?.WriteLine($"fuzz: deployer {deployer}; gateway {gateway}");
        Assert.True(deployer.ServerErrors.IsEmpty, $"deployer 5xx: {string.Join("\n", deployer.ServerErrors.Take(5))}");
        Assert.True(gateway.ServerErrors.IsEmpty, $"gateway 5xx: {string.Join("\n", gateway.ServerErrors.Take(5))}");
        Assert.True(deployer.Accepted.IsEmpty, $"deployer took: {string.Join("\n", deployer.Accepted.Take(10))}");

        // Never a crash.
        Assert.False(_suite.Process.HasExited, _suite.Process.Output);
        Assert.False(_suite.GatewayProcess.HasExited, _suite.GatewayProcess.Output);
        (await _suite.Client.GetAsync("/healthz", Ct)).EnsureSuccessStatusCode();
        (await _suite.Gateway.GetAsync("/healthz", Ct)).EnsureSuccessStatusCode();

        // Nothing stored: the one deployment unchanged, no route table written, no replica started.
        var list = await _suite.Client.GetFromJsonAsync<DeploymentList>("/v1/deployments", DeployerHarness.Json, Ct);
        var only = Assert.Single(list!.Items);
        Assert.Equal(Target, only.Name);
        Assert.Equal(target.Status.Revision, only.Status.Revision);
        Assert.Equal(routesBefore.Version, (await _suite.RoutesAsync(Ct)).Version);
        Assert.Equal(replicasBefore, _suite.Replicas(Target).Order());
        Assert.Equal(logFoldersBefore, Directory.GetDirectories(Path.Combine(_suite.DataDirectory, "logs")).Order());
        Assert.Equal(200, (await _suite.InferAsync(Target, null, Ct)).Status);
    }

    private static async Task<FuzzOutcome> FuzzAsync(HttpClient client, int requests, Func<int, HttpRequestMessage> make)
    {
        var outcome = new FuzzOutcome();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < requests)
            {
                using var request = make(Seed + index);
                // A client that sends a body over the limit without asking first sees the
                // connection closed under its upload after the 413; one that asks gets the 413.
                request.Headers.ExpectContinue = request.Content?.Headers.ContentLength > 1024 * 1024;
                var body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(Ct);
                var described = $"#{index} {request.Method} {Shorten(request.RequestUri!.OriginalString)} {Shorten(body)}";
                try
                {
                    using var response = await client.SendAsync(request, Ct);
                    outcome.Record((int)response.StatusCode, described + " -> " + Shorten(await response.Content.ReadAsStringAsync(Ct)));
                }
                catch (HttpRequestException ex)
                {
                    // A connection cut without an answer is as bad as a 5xx.
                    outcome.Record(599, $"{described} -> {ex.Message}");
                }
            }
        }, Ct)));
        return outcome;
    }

    private HttpRequestMessage DeployerRequest(HostileInput input)
    {
        var model = _suite.AddMulModel;
        var name = input.Escaped(input.AnyString());
        switch (input.Next(10))
        {
            case 0 or 1 or 2 or 3:
                return Json(HttpMethod.Post, "/v1/deployments", input.HostileDeployment(model));
            case 4:
                return Json(HttpMethod.Put, $"/v1/deployments/{name}", input.HostileDeployment(model));
            case 5:
                // The one real deployment, with a body that is never valid for it.
                return Json(HttpMethod.Put, $"/v1/deployments/{Target}", input.HostileDeployment(model));
            case 6:
                return new HttpRequestMessage(input.Pick([HttpMethod.Post, HttpMethod.Put]), "/v1/deployments") { Content = input.MalformedBody() };
            case 7:
                var path = input.Pick(["", "/traffic", "/promote", "/rollback", "/logs", "/history", "/" + input.Escaped(input.AnyString())]);
                return Json(input.AnyMethod(), $"/v1/deployments/{name}{path}", input.AnyJson());
            case 8:
                var traffic = Json(HttpMethod.Put, $"/v1/deployments/{Target}/traffic", new JsonObject { ["canary"] = input.AnyNumber() });
                traffic.Headers.TryAddWithoutValidation("If-Match", HeaderSafe(input.AnyString()));
                return traffic;
            default:
                return new HttpRequestMessage(HttpMethod.Get, input.Next(2) == 0
                    ? $"/v1/deployments/{Target}/logs?replica={input.Escaped(input.AnyString())}&tail={input.AnyNumber()}&variant={input.Escaped(input.AnyString())}"
                    : $"/v1/routes?watch={input.Escaped(input.AnyString())}&version={input.Escaped(input.AnyString())}");
        }
    }

    private static HttpRequestMessage GatewayRequest(HostileInput input)
    {
        var name = input.Escaped(input.AnyString());
        switch (input.Next(8))
        {
            case 0 or 1:
                return Json(HttpMethod.Post, $"/v2/models/{Target}/infer", HostileInference(input));
            case 2:
                return new HttpRequestMessage(HttpMethod.Post, $"/v2/models/{Target}/infer") { Content = input.MalformedBody() };
            case 3:
                var binary = new HttpRequestMessage(HttpMethod.Post, $"/v2/models/{Target}/infer")
                {
                    Content = new ByteArrayContent(Encoding.UTF8.GetBytes(HostileInference(input).ToJsonString() + new string('\u0001', input.Next(64)))),
                };
                binary.Content.Headers.TryAddWithoutValidation("Inference-Header-Content-Length", HeaderSafe(input.AnyNumber()?.ToJsonString() ?? input.AnyString()));
                return binary;
            case 4:
                var pinned = Json(HttpMethod.Post, $"/v2/models/{Target}/infer", HostileInference(input));
                pinned.Headers.TryAddWithoutValidation("x-model-variant", HeaderSafe(input.AnyString()));
                return pinned;
            case 5:
                return Json(input.AnyMethod(), $"/v2/models/{name}/{input.Pick(["infer", "ready", "", "versions/" + name, "versions/1/infer"])}", input.AnyJson());
            case 6:
                return Json(input.AnyMethod(), $"/models/{name}/{input.Escaped(input.AnyString())}", input.AnyJson());
            default:
                return Json(input.AnyMethod(), $"/v2/models/{Target}/versions/{name}/infer", input.AnyJson());
        }
    }

    /// <summary>An inference request with hostile tensors: wrong shapes, datatypes, data, names.</summary>
    private static JsonNode HostileInference(HostileInput input)
    {
        JsonNode? Tensor(string name) => new JsonObject
        {
            ["name"] = input.Next(4) == 0 ? input.AnyString() : name,
            ["datatype"] = input.Next(3) == 0 ? input.Pick<JsonNode?>(["FP32", "FP64", "BYTES", "fp32", "INT4", "", 7]) : "FP32",
            ["shape"] = input.Next(3) == 0 ? input.AnyJson(2) : new JsonArray(1, input.AnyNumber()),
            ["data"] = input.Next(3) == 0 ? input.AnyJson(2) : new JsonArray(1, 2, 3),
        };

        return input.Next(5) == 0
            ? input.AnyJson() ?? new JsonObject()
            : new JsonObject { ["id"] = input.AnyString(), ["inputs"] = new JsonArray(Tensor("a"), Tensor("b")), ["outputs"] = input.Next(3) == 0 ? input.AnyJson(2) : null };
    }

    private static HttpRequestMessage Json(HttpMethod method, string path, JsonNode? body) =>
        new(method, path) { Content = new StringContent(body?.ToJsonString() ?? "null", Encoding.UTF8, "application/json") };

    /// <summary>Control characters and non-ASCII cannot be put on the wire by HttpClient at all.</summary>
    private static string HeaderSafe(string value) =>
        new([.. value.Where(c => c is >= ' ' and < (char)127).Take(8_000)]);

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";

    private sealed class FuzzOutcome
    {
        private readonly ConcurrentDictionary<int, int> _byStatus = new();

        public ConcurrentQueue<string> ServerErrors { get; } = new();

        /// <summary>Changes the API took: a fuzz request must never be one.</summary>
        public ConcurrentQueue<string> Accepted { get; } = new();

        public void Record(int status, string described)
        {
            _byStatus.AddOrUpdate(status, 1, (_, count) => count + 1);
            if (status >= 500)
            {
                ServerErrors.Enqueue($"{status} {described}");
            }
            else if (status is >= 200 and < 300 && !described.Contains(" GET ", StringComparison.Ordinal) && !described.Contains(" HEAD ", StringComparison.Ordinal) && !described.Contains(" OPTIONS ", StringComparison.Ordinal))
            {
                Accepted.Enqueue($"{status} {described}");
            }
        }

        public override string ToString() =>
            $"{_byStatus.Values.Sum()} requests, by status: " + string.Join(", ", _byStatus.OrderBy(pair => pair.Key).Select(pair => $"{pair.Key} x {pair.Value}"));
    }
}
