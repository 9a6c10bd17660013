using System.Globalization;
using System.Text.RegularExpressions;
using ModelPlatform.Testing;

namespace ModelPlatform.SampleInference.Tests;

/// <summary>Where the server listens: loopback by hand, the host's usual address settings when given, PORT above all.</summary>
public sealed partial class ListenAddressTests : IDisposable
{
    private readonly string _models = Directory.CreateTempSubdirectory("modelplatform-listen-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_models, recursive: true);

    [Fact]
    public async Task Without_a_bind_address_the_server_listens_on_loopback_only()
    {
        var port = FreePort.Next();
        await using var server = Start(port, new() { ["PORT"] = Text(port) });

        await server.WaitUntilOkAsync("/v2/health/ready", TimeSpan.FromSeconds(60), Ct);

        Assert.Contains($"Now listening on: http://127.0.0.1:{port}", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("0.0.0.0", server.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--urls")]
    [InlineData("ASPNETCORE_URLS")]
    [InlineData("Kestrel__Endpoints__Http__Url")]
    [InlineData("ASPNETCORE_Kestrel__Endpoints__Http__Url")]
    public async Task An_address_given_the_usual_aspnet_core_way_is_honoured(string how)
    {
        var port = FreePort.Next();
        var url = $"http://127.0.0.1:{port}";
        await using var server = how == "--urls"
            ? Start(port, [], "--urls", url)
            : Start(port, new() { [how] = url });

        await server.WaitUntilOkAsync("/v2/health/ready", TimeSpan.FromSeconds(60), Ct);

        Assert.Contains($"Now listening on: {url}", server.Output, StringComparison.Ordinal);
        Assert.Single(ListeningLine().Matches(server.Output));
    }

    [Fact]
    public async Task The_contract_port_wins_over_aspnetcore_urls()
    {
        var port = FreePort.Next();
        var other = FreePort.Next();
        await using var server = Start(port, new()
        {
            ["PORT"] = Text(port),
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{other}",
        });

        await server.WaitUntilOkAsync("/v2/health/ready", TimeSpan.FromSeconds(60), Ct);

        Assert.DoesNotContain($":{other}", ListeningLine().Matches(server.Output).Select(match => match.Value));
    }

    [Fact]
    public void The_container_image_listens_on_all_interfaces()
    {
        // A container's traffic never arrives on loopback, the server's own default.
        var dockerfile = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "services", "sample-inference", "Dockerfile"));

        Assert.Matches(new Regex(@"^ENV (?:[^\n]*\\\n)*\s*Inference__BindAddress=0\.0\.0\.0\b", RegexOptions.Multiline), dockerfile);
    }

    [GeneratedRegex(@"Now listening on: \S+")]
    private static partial Regex ListeningLine();

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    private ServerProcess Start(int port, Dictionary<string, string> environment, params string[] arguments)
    {
        environment["MODEL_URI"] = TestModels.WriteAddMul(_models);
        environment["MODEL_NAME"] = "add-mul";
        return ServerProcess.Start(RepositoryPaths.SampleInferenceDll, port, environment, arguments);
    }
}
