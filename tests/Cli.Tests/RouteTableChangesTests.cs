using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ModelPlatform.Cli.Connection;
using ModelPlatform.Cli.Http;
using ModelPlatform.Cli.Waiting;
using ModelPlatform.Testing;

namespace ModelPlatform.Cli.Tests;

/// <summary>Waiting for a deployment: the next poll comes when the route table changes, not only when the interval ends.</summary>
public sealed class RouteTableChangesTests : IDisposable
{
    private readonly ConcurrentQueue<string> _received = new();
    private readonly HttpClient _http = new();
    private FakeHttpServer? _deployer;
    private volatile bool _ready;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _deployer?.Dispose();
        _http.Dispose();
    }

    [Fact]
    public async Task A_deployment_that_gets_ready_is_seen_when_the_route_table_changes_long_before_the_next_poll()
    {
        var deployer = Start(async path =>
        {
            if (path == "/v1/routes?watch=true&after=7")
            {
                // The replica gets ready a moment into the watch: the table changes with it.
                await Task.Delay(200, Ct);
                _ready = true;
                return (200, """{"version":8,"models":[]}""");
            }

            return path == "/v1/routes" ? (200, """{"version":7,"models":[]}""") : (200, Deployment(_ready));
        });

        // An interval far longer than the test may take: only the watch can end the wait in time.
        var waiting = new DeploymentWaiter(deployer, TimeSpan.FromHours(1)).WaitForRevisionAsync("fraud", 2, TimeSpan.FromHours(2), null, Ct);
        var ready = await waiting.WaitAsync(TimeSpan.FromMinutes(1), Ct);

        Assert.Equal("Ready", ready["status"]!["phase"]!.GetValue<string>());
        Assert.Equal(["/v1/deployments/fraud", "/v1/routes", "/v1/routes?watch=true&after=7", "/v1/deployments/fraud"], _received);
    }

    [Fact]
    public async Task Without_a_route_table_to_watch_the_waiter_polls_at_its_interval_and_asks_for_the_table_once()
    {
        var polls = 0;
        var deployer = Start(path => Task.FromResult(path.StartsWith("/v1/routes", StringComparison.Ordinal)
            ? (404, """{"title":"Not Found","status":404}""")
            : (200, Deployment(ready: Interlocked.Increment(ref polls) >= 3))));

        var ready = await new DeploymentWaiter(deployer, TimeSpan.FromMilliseconds(20)).WaitForRevisionAsync("fraud", 2, TimeSpan.FromMinutes(1), null, Ct);

        Assert.Equal("Ready", ready["status"]!["phase"]!.GetValue<string>());
        Assert.Equal(3, polls);
        Assert.Single(_received, path => path.StartsWith("/v1/routes", StringComparison.Ordinal));
    }

    private DeployerClient Start(Func<string, Task<(int Status, string Body)>> answer)
    {
        _deployer = new FakeHttpServer(request =>
        {
            var path = request.Url!.PathAndQuery;
            _received.Enqueue(path);
            return answer(path);
        });
        return new DeployerClient(_http, new ConnectionSettings(_deployer.BaseAddress, "token", "test", null));
    }

    private static string Deployment(bool ready) => new JsonObject
    {
        ["name"] = "fraud",
        ["stable"] = new JsonObject { ["model"] = new JsonObject { ["format"] = "onnx", ["uri"] = "models:/fraud" }, ["replicas"] = 1 },
        ["status"] = new JsonObject
        {
            ["phase"] = ready ? "Ready" : "Progressing",
            ["revision"] = 2,
            ["observedRevision"] = ready ? 2 : 1,
            ["variants"] = new JsonObject(),
        },
    }.ToJsonString();
}
