using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using ModelPlatform.Testing;

namespace ModelPlatform.Cli.Tests;

/// <summary>
/// The CLI in process against an HTTP stand-in for the deployer: where it connects, which token it
/// sends, and what it makes of the answers (exit codes, output), without starting the real services.
/// </summary>
public sealed class FakeDeployerTests : IDisposable
{
    private readonly ConcurrentQueue<(string Method, string Path, string Body)> _received = new();
    private readonly FakeHttpServer _deployer;
    private Func<string, string, (int Status, string Body)> _answer = (_, _) => (200, """{"items":[]}""");

    public FakeDeployerTests()
    {
        _deployer = new FakeHttpServer(async request =>
        {
            using var reader = new StreamReader(request.InputStream);
            var body = await reader.ReadToEndAsync();
            _received.Enqueue((request.HttpMethod, request.Url!.PathAndQuery, body));
            return _answer(request.HttpMethod, request.Url!.PathAndQuery);
        }, "application/problem+json");
    }

    public void Dispose() => _deployer.Dispose();

    private Dictionary<string, string> Variables(string? token = "env-token") => new()
    {
        ["MODELPLATFORM_DEPLOYER_URL"] = _deployer.BaseAddress.ToString(),
        ["MODELPLATFORM_TOKEN"] = token ?? string.Empty,
    };

    private string? AuthorizationSent() => _deployer.Requests.Last().Headers.GetValueOrDefault("authorization");

    [Fact]
    public async Task The_token_flag_wins_over_the_environment()
    {
        var result = await InProcessCli.RunAsync(["list", "--token", "flag-token"], Variables());

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("Bearer flag-token", AuthorizationSent());
    }

    [Fact]
    public async Task The_environment_token_is_sent_without_a_flag()
    {
        await InProcessCli.RunAsync(["list"], Variables());

        Assert.Equal("Bearer env-token", AuthorizationSent());
    }

    [Fact]
    public async Task Without_flag_or_environment_the_quickstart_token_file_above_the_current_directory_is_read()
    {
        var repository = Directory.CreateTempSubdirectory("mp-repo-").FullName;
        Directory.CreateDirectory(Path.Combine(repository, ".data", "deployer"));
        await File.WriteAllTextAsync(Path.Combine(repository, ".data", "deployer", "admin-token"), "quickstart-token\n", TestContext.Current.CancellationToken);
        var nested = Directory.CreateDirectory(Path.Combine(repository, "models", "fraud")).FullName;

        var result = await InProcessCli.RunAsync(["list"], Variables(token: null), nested);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("Bearer quickstart-token", AuthorizationSent());
    }

    [Fact]
    public async Task A_token_file_given_by_flag_is_read_trimmed()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("mp-token-").FullName, "token");
        await File.WriteAllTextAsync(file, "  file-token \n", TestContext.Current.CancellationToken);

        await InProcessCli.RunAsync(["list", "--token-file", file], Variables(token: null));

        Assert.Equal("Bearer file-token", AuthorizationSent());
    }

    [Fact]
    public async Task A_token_and_a_token_file_together_are_a_usage_error()
    {
        var result = await InProcessCli.RunAsync(["list", "--token", "a", "--token-file", "/dev/null"], Variables());

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Empty(_received);
    }

    [Fact]
    public async Task A_refusal_prints_the_problem_in_plain_words_on_stderr_and_exits_5()
    {
        _answer = (_, _) => (400, """{"title":"One or more validation errors occurred.","status":400,"errors":{"traffic.canary":["must be 0 without a canary."]}}""");

        var result = await InProcessCli.RunAsync(["traffic", "fraud", "30"], Variables());

        Assert.True(result.ExitCode == ExitCodes.Rejected, result.ToString());
        Assert.Contains("traffic.canary: must be 0 without a canary.", result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Out);
        Assert.Contains(_received, r => r is { Method: "PUT", Path: "/v1/deployments/fraud/traffic" } && r.Body == """{"canary":30}""");
    }

    [Fact]
    public async Task With_json_output_a_refusal_is_one_json_object_on_stderr()
    {
        _answer = (_, _) => (404, """{"title":"Not Found","status":404,"detail":"No deployment 'fraud'."}""");

        var result = await InProcessCli.RunAsync(["status", "fraud", "-o", "json"], Variables());

        Assert.Equal(ExitCodes.NotFound, result.ExitCode);
        var error = JsonNode.Parse(result.Error)!["error"]!;
        Assert.Equal("No deployment 'fraud'.", error["detail"]!.GetValue<string>());
        Assert.Empty(result.Out);
    }

    [Fact]
    public async Task A_deployment_that_fails_exits_6_with_the_reason()
    {
        _answer = (method, _) => method == "PUT"
            ? (202, Deployment("Provisioning", revision: 2, observed: 1, message: "applying"))
            : (200, Deployment("Failed", revision: 2, observed: 2, message: "replica 0 exited with code 3: model file is not ONNX"));

        var result = await InProcessCli.RunAsync(["traffic", "fraud", "10"], Variables());

        Assert.True(result.ExitCode == ExitCodes.DeploymentFailed, result.ToString());
        Assert.Contains("replica 0 exited with code 3: model file is not ONNX", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_change_not_applied_by_the_timeout_exits_7()
    {
        _answer = (method, _) => (method == "PUT" ? 202 : 200, Deployment("Provisioning", revision: 2, observed: 1, message: "waiting for replicas"));

        var result = await InProcessCli.RunAsync(["traffic", "fraud", "10", "--timeout", "1"], Variables());

        Assert.True(result.ExitCode == ExitCodes.TimedOut, result.ToString());
        Assert.Contains("did not get ready within 1 s", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_change_already_applied_prints_the_outcome_and_exits_0()
    {
        _answer = (_, _) => (200, Deployment("Ready", revision: 3, observed: 3, message: "ready"));

        var result = await InProcessCli.RunAsync(["traffic", "fraud", "25"], Variables());

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("fraud: stable 75%, canary 25% (revision 3)", result.Out.Trim());
    }

    [Fact]
    public async Task Rollout_actions_post_to_their_endpoint()
    {
        _answer = (_, _) => (202, Deployment("Ready", revision: 4, observed: 4, message: "ready"));

        var pause = await InProcessCli.RunAsync(["rollout", "pause", "fraud"], Variables());
        var abort = await InProcessCli.RunAsync(["rollout", "abort", "fraud"], Variables());

        Assert.True(pause.ExitCode == 0, pause.ToString());
        Assert.Equal("fraud: rollout paused (Ready)", pause.Out.Trim());
        Assert.Equal("fraud: rollout aborted (Ready)", abort.Out.Trim());
        Assert.Equal(["/v1/deployments/fraud/rollout/pause", "/v1/deployments/fraud/rollout/abort"], _received.Where(r => r.Method == "POST").Select(r => r.Path));
    }

    [Fact]
    public async Task A_deployer_that_is_not_there_exits_3()
    {
        _deployer.Dispose();

        var result = await InProcessCli.RunAsync(["list"], Variables());

        Assert.True(result.ExitCode == ExitCodes.Unreachable, result.ToString());
        Assert.Contains($"Cannot reach the deployer at {_deployer.BaseAddress}", result.Error, StringComparison.Ordinal);
    }

    private static string Deployment(string phase, long revision, long observed, string message) => new JsonObject
    {
        ["name"] = "fraud",
        ["stable"] = new JsonObject { ["model"] = new JsonObject { ["format"] = "onnx", ["uri"] = "models:/fraud" }, ["replicas"] = 1 },
        ["canary"] = new JsonObject { ["model"] = new JsonObject { ["format"] = "onnx", ["uri"] = "models:/fraud-2" }, ["replicas"] = 1 },
        ["traffic"] = new JsonObject { ["stable"] = 75, ["canary"] = 25 },
        ["status"] = new JsonObject
        {
            ["phase"] = phase,
            ["revision"] = revision,
            ["observedRevision"] = observed,
            ["url"] = "http://127.0.0.1:5000/v2/models/fraud",
            ["variants"] = new JsonObject(),
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "False", ["reason"] = phase, ["message"] = message }),
        },
    }.ToJsonString();
}
