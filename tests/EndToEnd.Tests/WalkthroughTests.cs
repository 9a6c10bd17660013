using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.EndToEnd.Tests;

/// <summary>
/// The README's walkthrough, step by step, with the request files it sends (docs/examples), against
/// the real suite. The tiny test model stands in for ResNet18 to keep the test quick.
/// </summary>
public sealed partial class WalkthroughTests(SuiteFixture suite) : IClassFixture<SuiteFixture>
{
    private static readonly string Examples = Path.Combine(RepositoryPaths.Root, "docs", "examples");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_readme_walkthrough_works_as_written()
    {
        using (var create = await SendAsync(HttpMethod.Post, "/v1/deployments", "deploy.json"))
        {
            Assert.Equal(HttpStatusCode.Accepted, create.StatusCode);
        }

        var ready = await suite.WaitForReadyAsync("resnet", Ct);
        Assert.Equal(2, ready.Status.Variants[VariantNames.Stable].ReadyReplicas);
        await suite.WaitForGatewaySyncAsync(Ct);
        Assert.Equal((200, "stable"), await suite.InferAsync("resnet", null, Ct));

        using (var canary = await SendAsync(HttpMethod.Put, "/v1/deployments/resnet", "add-canary.json"))
        {
            Assert.Equal(HttpStatusCode.Accepted, canary.StatusCode);
        }

        await suite.WaitForAsync("resnet", d => d.Status.ObservedRevision == 2 && d.Status.Phase == DeploymentPhase.Ready, cancellationToken: Ct);
        foreach (var (file, weight, revision) in new[] { ("traffic-10.json", 10, 3), ("traffic-50.json", 50, 4) })
        {
            using var traffic = await SendAsync(HttpMethod.Put, "/v1/deployments/resnet/traffic", file);
            Assert.Equal(HttpStatusCode.Accepted, traffic.StatusCode);
            var moved = await suite.WaitForAsync("resnet", d => d.Status.ObservedRevision == revision, cancellationToken: Ct);
            Assert.Equal(new TrafficSplit(100 - weight, weight), moved.Traffic);
        }

        await suite.WaitForGatewaySyncAsync(Ct);
        Assert.Equal((200, "canary"), await suite.InferAsync("resnet", "canary", Ct));

        using (var promote = await suite.Client.PostAsync("/v1/deployments/resnet/promote", null, Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, promote.StatusCode);
        }

        var promoted = await suite.WaitForAsync("resnet", d => d.Status.ObservedRevision == 5, cancellationToken: Ct);
        Assert.Equal("candidate", promoted.Stable.Env!["RELEASE"]);
        Assert.Contains("Model 'resnet' loaded",
            await suite.Client.GetStringAsync("/v1/deployments/resnet/logs?variant=stable&replica=0&tail=20", Ct), StringComparison.Ordinal);

        using (var delete = await suite.Client.DeleteAsync("/v1/deployments/resnet", Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        await suite.WaitForGoneAsync("resnet", Ct);
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

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string example)
    {
        // The README substitutes $MODEL with sed; so does this.
        var body = (await File.ReadAllTextAsync(Path.Combine(Examples, example), Ct)).Replace("$MODEL", suite.AddMulModel, StringComparison.Ordinal);
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await suite.Client.SendAsync(request, Ct);
    }

    [GeneratedRegex(@"docs/examples/([a-z0-9-]+\.json)")]
    private static partial Regex ExampleReference();
}
