using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Cli.Tests;

/// <summary>
/// The CLI as a user runs it: the built tool as a process, started in a folder outside the
/// repository, against a real deployer (with real replicas) and a real gateway.
/// </summary>
public sealed class CliEndToEndTests(CliSuiteFixture suite) : IClassFixture<CliSuiteFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _folder = Directory.CreateTempSubdirectory("mp-user-").FullName;

    private Task<InProcessCli.Result> MpAsync(params string[] args) => CliProcess.RunAsync(_folder, suite.UserEnvironment(), Ct, args);

    [Fact]
    public async Task Deploy_uploads_a_model_file_from_outside_the_repository_and_prints_a_curl_that_works()
    {
        var file = TestModels.WriteAddMul(_folder);
        Assert.False(file.StartsWith(RepositoryPaths.Root, StringComparison.Ordinal));

        var deploy = await MpAsync("deploy", "add_mul.onnx", "--name", "addmul", "--env", "RELEASE=first");

        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains("Uploading add_mul.onnx", deploy.Out, StringComparison.Ordinal);
        Assert.Contains("Stored addmul version", deploy.Out, StringComparison.Ordinal);
        Assert.Contains("Ready        stable 1/1 ready", deploy.Out, StringComparison.Ordinal);
        Assert.Contains($"addmul is served after", deploy.Out, StringComparison.Ordinal);
        Assert.Contains($"{suite.GatewayAddress}v2/models/addmul", deploy.Out, StringComparison.Ordinal);
        Assert.Contains("  a  FP32  [", deploy.Out, StringComparison.Ordinal);
        Assert.Contains("  product  FP32  [", deploy.Out, StringComparison.Ordinal);

        // The printed curl is ready to run: bash runs it as printed and the model answers.
        var curl = deploy.Out.Split('\n').Select(line => line.Trim()).Single(line => line.StartsWith("curl ", StringComparison.Ordinal));
        var answer = await BashAsync(curl);
        Assert.Equal(["product", "sum"], JsonNode.Parse(answer)!["outputs"]!.AsArray().Select(o => o!["name"]!.GetValue<string>()).Order());

        var stored = (await suite.GetAsync("addmul", Ct))!;
        Assert.StartsWith("models:/addmul", stored.Stable.Model!.Uri, StringComparison.Ordinal);
        Assert.Equal("first", stored.Stable.Env!["RELEASE"]);
    }

    [Fact]
    public async Task The_same_file_deployed_again_says_it_was_already_stored_and_is_not_a_new_version()
    {
        TestModels.WriteAddMul(_folder);
        var first = await MpAsync("deploy", "add_mul.onnx", "--name", "twice");
        Assert.True(first.ExitCode == 0, first.ToString());

        var again = await MpAsync("deploy", "add_mul.onnx", "--name", "twice", "--canary", "--env", "RELEASE=candidate");

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("Stored twice version 1 (", first.Out, StringComparison.Ordinal);
        Assert.Contains("twice version 1 (", again.Out, StringComparison.Ordinal);
        Assert.Contains("was already stored: the same file, kept once", again.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Stored twice", again.Out, StringComparison.Ordinal);
        (await suite.Client.DeleteAsync(new Uri("/v1/deployments/twice", UriKind.Relative), Ct)).Dispose();
    }

    [Fact]
    public async Task A_second_file_becomes_the_canary_then_gets_traffic_is_promoted_and_deleted()
    {
        TestModels.WriteAddMul(_folder);
        var candidate = Directory.CreateDirectory(Path.Combine(_folder, "candidate")).FullName;
        var candidateFile = Path.GetRelativePath(_folder, TestModels.WriteCountingLoop(candidate, fixedIterations: 1));
        Assert.True((await MpAsync("deploy", "add_mul.onnx", "--name", "fraud")).ExitCode == 0);

        var canary = await MpAsync("deploy", candidateFile, "--name", "fraud", "--canary");
        Assert.True(canary.ExitCode == 0, canary.ToString());
        Assert.Contains("fraud is served (canary)", canary.Out, StringComparison.Ordinal);
        Assert.Contains("-H 'x-model-variant: canary'", canary.Out, StringComparison.Ordinal);
        Assert.Contains("  x  FP32  [", canary.Out, StringComparison.Ordinal);
        var canaryUri = (await suite.GetAsync("fraud", Ct))!.Canary!.Model!.Uri;

        var traffic = await MpAsync("traffic", "fraud", "25");
        Assert.True(traffic.ExitCode == 0, traffic.ToString());
        Assert.StartsWith("fraud: stable 75%, canary 25% (revision ", traffic.Out, StringComparison.Ordinal);
        Assert.Equal(new TrafficSplit(75, 25), (await suite.GetAsync("fraud", Ct))!.Traffic);

        var models = await MpAsync("models");
        Assert.True(models.ExitCode == 0, models.ToString());
        Assert.Contains(models.Out.Split('\n'), row => row.Contains("fraud", StringComparison.Ordinal) && row.Contains(" 2 ", StringComparison.Ordinal));

        var promote = await MpAsync("promote", "fraud");
        Assert.True(promote.ExitCode == 0, promote.ToString());
        Assert.StartsWith($"fraud: the canary is now stable, running {canaryUri}", promote.Out, StringComparison.Ordinal);
        var promoted = (await suite.GetAsync("fraud", Ct))!;
        Assert.Null(promoted.Canary);
        Assert.Equal(canaryUri, promoted.Stable.Model!.Uri);

        var delete = await MpAsync("delete", "fraud");
        Assert.True(delete.ExitCode == 0, delete.ToString());
        Assert.Equal("fraud: deleted", delete.Out.Trim());
        Assert.Null(await suite.GetAsync("fraud", Ct));
    }

    [Fact]
    public async Task A_file_that_is_not_a_model_is_refused_with_exit_code_5_and_the_stores_reason()
    {
        await File.WriteAllTextAsync(Path.Combine(_folder, "notes.onnx"), "these are notes, not a model", Ct);

        var result = await MpAsync("deploy", "notes.onnx", "--name", "notes");

        Assert.True(result.ExitCode == 5, result.ToString());
        Assert.StartsWith("Error: ", result.Error, StringComparison.Ordinal);
        Assert.Contains("the deployer answered 400", result.Error, StringComparison.Ordinal);
        Assert.Null(await suite.GetAsync("notes", Ct));
    }

    [Fact]
    public async Task Operator_commands_drive_a_deployment_made_through_the_api()
    {
        var stable = suite.ModelVariant(env: new() { ["RELEASE"] = "current" });
        var canary = suite.ModelVariant(env: new() { ["RELEASE"] = "candidate" });
        (await suite.CreateAsync("ops", stable, canary, Ct)).EnsureSuccessStatusCode();
        await suite.WaitForReadyAsync("ops", Ct);

        var list = await MpAsync("list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(list.Out.Split('\n'), row => row.Contains("ops", StringComparison.Ordinal) && row.Contains("Ready", StringComparison.Ordinal));

        var status = await MpAsync("status", "ops");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains($"URL:     {suite.GatewayAddress}v2/models/ops", status.Out, StringComparison.Ordinal);

        var json = await MpAsync("status", "ops", "--output", "json");
        Assert.Equal("Ready", JsonNode.Parse(json.Out)!["status"]!["phase"]!.GetValue<string>());

        Assert.StartsWith("ops: stable 50%, canary 50%", (await MpAsync("traffic", "ops", "50")).Out, StringComparison.Ordinal);
        await WaitUntilGatewayServesCanaryAsync("ops");

        await File.WriteAllTextAsync(Path.Combine(_folder, "request.json"), """
            {"inputs":[{"name":"a","datatype":"FP32","shape":[1,3],"data":[1,2,3]},{"name":"b","datatype":"FP32","shape":[1,3],"data":[4,5,6]}]}
            """, Ct);
        var infer = await MpAsync("infer", "ops", "--input", "request.json", "--variant", "canary");
        Assert.True(infer.ExitCode == 0, infer.ToString());
        Assert.Contains("sum  FP32  [1,3]: 5, 7, 9", infer.Out, StringComparison.Ordinal);
        Assert.Contains("(served by the canary variant)", infer.Out, StringComparison.Ordinal);

        var logs = await MpAsync("logs", "ops", "--variant", "canary", "--tail", "50");
        Assert.True(logs.ExitCode == 0, logs.ToString());
        Assert.Contains("Model 'ops' loaded", logs.Out, StringComparison.Ordinal);

        var promote = await MpAsync("promote", "ops");
        Assert.True(promote.ExitCode == 0, promote.ToString());
        Assert.Equal("candidate", (await suite.GetAsync("ops", Ct))!.Stable.Env!["RELEASE"]);

        var history = await MpAsync("history", "ops");
        Assert.True(history.ExitCode == 0, history.ToString());
        Assert.Contains(history.Out.Split('\n'), row => row.Contains("traffic", StringComparison.Ordinal) && row.Contains("canary 0% -> 50%", StringComparison.Ordinal));
        Assert.Contains(history.Out.Split('\n'), row => row.Contains("promote", StringComparison.Ordinal) && row.Contains("Succeeded", StringComparison.Ordinal));

        Assert.True((await MpAsync("delete", "ops")).ExitCode == 0);
        Assert.Null(await suite.GetAsync("ops", Ct));

        var gone = await MpAsync("status", "ops");
        Assert.True(gone.ExitCode == 8, gone.ToString());
    }

    [Fact]
    public async Task A_token_the_deployer_does_not_know_exits_4_naming_where_it_came_from()
    {
        var result = await CliProcess.RunAsync(_folder, suite.UserEnvironment(token: "not-a-token"), Ct, "list");

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Contains("$MODELPLATFORM_TOKEN", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-token", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reader_may_list_but_not_delete_and_is_told_why()
    {
        var reader = suite.UserEnvironment(token: DeployerHarness.Tokens["reader"]);

        var list = await CliProcess.RunAsync(_folder, reader, Ct, "list");
        var delete = await CliProcess.RunAsync(_folder, reader, Ct, "delete", "anything");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.True(delete.ExitCode == 4, delete.ToString());
        Assert.Contains("role", delete.Error, StringComparison.Ordinal);
    }

    /// <summary>
    /// The README's CLI walkthrough (the bash block that installs the tool), its <c>mp</c> lines run
    /// as written but for three things: the built tool instead of the installed one, paths into the
    /// repository made absolute (so what mp writes lands in a temporary folder, not the repository),
    /// and this build's configuration in place of <c>bin/Debug</c>.
    /// </summary>
    [Fact]
    public async Task The_readmes_cli_walkthrough_runs_as_written()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "README.md"), Ct);
        var block = System.Text.RegularExpressions.Regex.Matches(readme, @"```bash\n(.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline)
            .Select(match => match.Groups[1].Value)
            .Single(text => text.Contains("dotnet tool install", StringComparison.Ordinal));
        var commands = block.Split('\n').Select(line => line.Trim()).Where(line => line.StartsWith("mp ", StringComparison.Ordinal)).ToList();
        Assert.Contains(commands, command => command.StartsWith("mp deploy", StringComparison.Ordinal));
        Assert.Contains(commands, command => command.StartsWith("mp delete", StringComparison.Ordinal));

        foreach (var command in commands)
        {
            var args = command["mp ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(arg => arg.Replace("/bin/Debug/", $"/bin/{RepositoryPaths.Configuration}/", StringComparison.Ordinal))
                .Select(arg => File.Exists(Path.Combine(RepositoryPaths.Root, arg)) ? Path.Combine(RepositoryPaths.Root, arg) : arg)
                .ToArray();

            var result = await MpAsync(args);

            Assert.True(result.ExitCode == 0, $"{command}\n{result}");
        }

        Assert.True(File.Exists(Path.Combine(_folder, "vision-request.json")));
        Assert.Null(await suite.GetAsync("vision", Ct));
    }

    private async Task WaitUntilGatewayServesCanaryAsync(string name)
    {
        using var gateway = new HttpClient { BaseAddress = suite.GatewayAddress };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/models/{name}");
            request.Headers.Add("x-model-variant", "canary");
            using var response = await gateway.SendAsync(request, Ct);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(50, Ct);
        }

        throw new TimeoutException($"The gateway did not serve {name}'s canary.\n{suite.GatewayProcess.Output}");
    }

    private async Task<string> BashAsync(string command)
    {
        var start = new ProcessStartInfo("bash", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, $"{command}\n{output}\n{await process.StandardError.ReadToEndAsync(Ct)}");
        return output;
    }
}
