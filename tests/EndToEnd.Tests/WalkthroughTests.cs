using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.EndToEnd.Tests;

/// <summary>
/// The README's own <c>```bash</c> blocks, run by bash as written, one command at a time, against
/// the real suite (a deployer with its replicas and a gateway, started by <see cref="SuiteFixture"/>):
/// a typo in a command fails here before a reader meets it.
/// </summary>
/// <remarks>
/// What differs from a reader's terminal, and only that: the fixture listens on free ports and keeps
/// its data in a temporary folder, so the command text has the README's fixed addresses
/// (<c>http://127.0.0.1:5100</c>, the deployer; <c>http://127.0.0.1:5000</c>, the gateway), its token
/// file (<c>.data/deployer/admin-token</c>) and its build configuration (<c>bin/Debug</c>) replaced by
/// the fixture's before bash sees it; the app host's quickstart deployment (<c>resnet18</c>) is made
/// here as the app host makes it; and between two commands the test waits, as a reader would, until
/// a change the previous one asked for is applied. Blocks that start the suite or run the tests
/// (<c>dotnet run</c>, <c>dotnet test</c>) are not run: this test is inside both; nor is the CLI's
/// block (<c>dotnet tool install</c>), which tests/Cli.Tests runs as a process instead.
/// </remarks>
public sealed partial class WalkthroughTests(SuiteFixture suite) : IClassFixture<SuiteFixture>
{
    private const string ReadmeDeployer = "http://127.0.0.1:5100";
    private const string ReadmeGateway = "http://127.0.0.1:5000";
    private const string ReadmeTokenFile = ".data/deployer/admin-token";

    private static readonly string Examples = Path.Combine(RepositoryPaths.Root, "docs", "examples");

    /// <summary>What a command's output must contain, for the commands whose answer shows the outcome.</summary>
    private static readonly (Regex Command, string Expected)[] ExpectedOutput =
    [
        (new Regex(@"/v2/models/resnet18\s*$"), "\"Input247\""),
        (new Regex(@"/v2/models/resnet18/infer\b"), "\"outputs\""),
        (new Regex(@"^(?!.*x-model-variant).*-X POST \S+/v2/models/resnet/infer\b"), "HTTP/1.1 200"),
        (new Regex(@"/v2/models/resnet/infer\b.*x-model-variant: canary"), "x-model-variant: canary"),
        (new Regex(@"deploy\.json.*-X POST \S+/v1/deployments\s"), "\"name\":\"resnet\""),
        (new Regex(@"/v1/models\?name=uploaded"), "\"digest\":\"sha256:"),
        (new Regex(@"-X POST \S+/v1/deployments .*models:/uploaded"), "\"uri\":\"models:/uploaded@sha256:"),
        (new Regex(@"/v1/deployments/resnet/logs\b"), "Model 'resnet' loaded"),
        (new Regex(@"/metrics \| grep gateway_requests_total"), "gateway_requests_total{"),
        (new Regex(@"/v1/deployments/resnet/history\b"), "\"action\":\"promote\""),
        (new Regex(@"/v1/audit\?action=promote"), "\"action\":\"promote\""),
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_readme_shell_blocks_run_as_written_against_the_suite()
    {
        var tokenFile = Path.Combine(suite.DataDirectory, "readme-admin-token");
        await File.WriteAllTextAsync(tokenFile, DeployerHarness.Tokens["admin"], Ct);
        await DeployQuickstartAsync();

        using var bash = new BashSession(RepositoryPaths.Root);
        var run = new List<string>();
        foreach (var command in ReadmeCommands())
        {
            var text = command
                .Replace(ReadmeDeployer, suite.BaseAddress.ToString().TrimEnd('/'), StringComparison.Ordinal)
                .Replace(ReadmeGateway, suite.Gateway.BaseAddress!.ToString().TrimEnd('/'), StringComparison.Ordinal)
                .Replace(ReadmeTokenFile, tokenFile, StringComparison.Ordinal)
                .Replace("/bin/Debug/", $"/bin/{RepositoryPaths.Configuration}/", StringComparison.Ordinal);
            var result = await bash.RunAsync(text, Ct);
            run.Add(command);

            Assert.True(result.ExitCode == 0, $"The README command failed:\n{result}");
            Assert.True(result.HttpStatuses.All(status => status is >= 200 and < 300), $"The README command was answered with an error:\n{result}");
            if (command.Contains("curl", StringComparison.Ordinal))
            {
                Assert.True(result.HttpStatuses.Count > 0, $"curl got no answer:\n{result}");
            }

            foreach (var (pattern, expected) in ExpectedOutput.Where(e => e.Command.IsMatch(command)))
            {
                Assert.True(result.Output.Contains(expected, StringComparison.OrdinalIgnoreCase), $"Expected '{expected}' in:\n{result}");
            }

            if (DeploymentChange().IsMatch(command))
            {
                await WaitUntilAppliedAsync();
            }

            await AssertStateAfterAsync(command);
        }

        // Every outcome above was seen: a README that drops or renames a step fails here too.
        foreach (var (pattern, expected) in ExpectedOutput)
        {
            Assert.True(run.Any(pattern.IsMatch),
                $"No README command matches {pattern} (expected to print '{expected}').");
        }
    }

    [Fact]
    public void The_readme_sends_every_example_file_and_every_file_it_sends_exists()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        var referenced = ExampleReference().Matches(readme).Select(match => match.Groups[1].Value).ToHashSet();
        var present = Directory.GetFiles(Examples, "*.json").Select(Path.GetFileName).ToHashSet();

        Assert.NotEmpty(referenced);
        Assert.Equal(present.Order(), referenced.Order());
    }

    /// <summary>The commands of the README's bash blocks, in order; comments and blank lines left out.</summary>
    private static IEnumerable<string> ReadmeCommands()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        foreach (var block in BashBlock().Matches(readme).Select(match => match.Groups[1].Value))
        {
            if (block.Contains("dotnet run", StringComparison.Ordinal) || block.Contains("dotnet test", StringComparison.Ordinal)
                || block.Contains("dotnet tool install", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var line in block.Split('\n').Select(line => line.Trim()))
            {
                if (line.Length > 0 && !line.StartsWith('#'))
                {
                    yield return line;
                }
            }
        }
    }

    // The app host deploys the bundled ResNet18 as resnet18 before it says the suite is ready; the
    // walkthrough's first block infers through it.
    private async Task DeployQuickstartAsync()
    {
        var model = Path.Combine(Path.GetDirectoryName(RepositoryPaths.SampleInferenceDll)!, "models", "resnet18.onnx");
        (await suite.Client.PutAsJsonAsync("/v1/deployments/resnet18",
            new { stable = new { model = new { format = "onnx", uri = model }, replicas = 1 } }, Ct)).EnsureSuccessStatusCode();
        await suite.WaitForReadyAsync("resnet18", Ct);
        await suite.WaitForGatewaySyncAsync(Ct);
    }

    /// <summary>Waits until every deployment runs its latest revision (or is gone) and the gateway routes by it.</summary>
    private async Task WaitUntilAppliedAsync()
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var list = await suite.Client.GetFromJsonAsync<DeploymentList>("/v1/deployments", DeployerHarness.Json, Ct);
            var pending = list!.Items.Where(d => d.Status.Phase != DeploymentPhase.Ready || d.Status.ObservedRevision < d.Status.Revision).ToList();
            if (pending.Count == 0)
            {
                break;
            }

            if (clock.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException($"Not applied: {string.Join(", ", pending.Select(d => $"{d.Name} {d.Status.Phase} {d.Status.ObservedRevision}/{d.Status.Revision}"))}\n{suite.Process.Output}");
            }

            await Task.Delay(50, Ct);
        }

        await suite.WaitForGatewaySyncAsync(Ct);
    }

    /// <summary>The deployer's state after the steps whose outcome is not in their output.</summary>
    private async Task AssertStateAfterAsync(string command)
    {
        if (command.Contains("docs/examples/deploy.json", StringComparison.Ordinal))
        {
            var created = await suite.GetAsync("resnet", Ct);
            Assert.NotNull(created);
            Assert.Equal(2, created.Status.Variants[VariantNames.Stable].ReadyReplicas);
            // Findable in the dashboard under the deployment and the variant, one instance per replica.
            var replicas = suite.Replicas("resnet");
            Assert.Equal(2, replicas.Count);
            Assert.All(replicas, pid => Assert.Equal("resnet-stable", ReplicaProcesses.EnvironmentValue(pid, "OTEL_SERVICE_NAME")));
            Assert.Equal(
                ["resnet-stable-replica-0", "resnet-stable-replica-1"],
                replicas.Select(pid => InstanceId(ReplicaProcesses.EnvironmentValue(pid, "OTEL_RESOURCE_ATTRIBUTES"))).Order());
        }
        else if (command.Contains("docs/examples/add-canary.json", StringComparison.Ordinal))
        {
            Assert.NotNull((await suite.GetAsync("resnet", Ct))!.Canary);
        }
        else if (command.Contains("docs/examples/traffic-50.json", StringComparison.Ordinal))
        {
            Assert.Equal(new TrafficSplit(50, 50), (await suite.GetAsync("resnet", Ct))!.Traffic);
        }
        else if (command.Contains("/resnet/promote", StringComparison.Ordinal))
        {
            var promoted = (await suite.GetAsync("resnet", Ct))!;
            Assert.Null(promoted.Canary);
            Assert.Equal("candidate", promoted.Stable.Env!["RELEASE"]);
        }
        else if (DeletedDeployment().Match(command) is { Success: true } deleted)
        {
            Assert.Null(await suite.GetAsync(deleted.Groups[1].Value, Ct));
        }
    }

    private static string? InstanceId(string? attributes) =>
        attributes?.Split(',').Select(pair => pair.Split('=', 2)).FirstOrDefault(pair => pair[0] == "service.instance.id")?[1];

    [GeneratedRegex(@"```bash\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    [GeneratedRegex(@"-X (POST|PUT|DELETE) \S*127\.0\.0\.1:5100/v1/deployments")]
    private static partial Regex DeploymentChange();

    [GeneratedRegex(@"-X DELETE \S*/v1/deployments/([a-z0-9-]+)")]
    private static partial Regex DeletedDeployment();

    [GeneratedRegex(@"docs/examples/([a-z0-9-]+\.json)")]
    private static partial Regex ExampleReference();
}
