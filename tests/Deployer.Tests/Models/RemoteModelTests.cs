using System.Net;
using System.Security.Cryptography;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Models;

/// <summary>
/// <c>https://...#sha256={hex}</c> model URIs (a local HTTP server stands in for the remote): fetched
/// into the store when the digest matches, refused with the digests named when it does not.
/// </summary>
public sealed class RemoteModelTests(ModelStoreDeployer deployer) : IClassFixture<ModelStoreDeployer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_remote_file_whose_digest_matches_is_stored_and_the_variant_pinned_to_it()
    {
        var bytes = ModelStoreApiTests.UniqueModel("remote-ok");
        var digest = Convert.ToHexStringLower(SHA256.HashData(bytes));
        using var remote = new FakeHttpServer(_ => Task.FromResult((200, bytes)), "application/octet-stream");

        using var response = await deployer.CreateAsync("remote-ok", deployer.ModelVariant(uri: $"{remote.BaseAddress}models/m.onnx#sha256={digest}"), cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var stored = await deployer.GetAsync("remote-ok", Ct);
        Assert.Equal($"models:/remote-ok@sha256:{digest}", stored!.Stable.Model!.Uri);
        Assert.Equal("/models/m.onnx", Assert.Single(remote.Requests).Path);
        Assert.Contains(deployer.StoredFiles, file => Path.GetFileName(file) == digest);
    }

    [Fact]
    public async Task A_remote_file_with_another_digest_is_refused_naming_both_and_nothing_is_kept()
    {
        var bytes = ModelStoreApiTests.UniqueModel("remote-mismatch");
        var claimed = new string('a', 64);
        using var remote = new FakeHttpServer(_ => Task.FromResult((200, bytes)), "application/octet-stream");
        var before = deployer.StoredFiles.Length;

        using var response = await deployer.CreateAsync("remote-mismatch", deployer.ModelVariant(uri: $"{remote.BaseAddress}m.onnx#sha256={claimed}"), cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var reason = (await DeployerHarness.ProblemAsync(response, Ct))["errors"]!["stable.model.uri"]![0]!.GetValue<string>();
        Assert.Contains("sha256:" + claimed, reason, StringComparison.Ordinal);
        Assert.Contains("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)), reason, StringComparison.Ordinal);
        Assert.Equal(before, deployer.StoredFiles.Length);
        Assert.Empty(deployer.IncomingFiles);
        Assert.Null(await deployer.GetAsync("remote-mismatch", Ct));
    }

    [Fact]
    public async Task A_remote_uri_without_a_digest_is_refused_before_anything_is_fetched()
    {
        using var remote = new FakeHttpServer(_ => Task.FromResult((200, "unused")));

        using var response = await deployer.CreateAsync("remote-unpinned", deployer.ModelVariant(uri: $"{remote.BaseAddress}m.onnx"), cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("#sha256=", (await DeployerHarness.ProblemAsync(response, Ct))["errors"]!["stable.model.uri"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(remote.Requests);
    }
}
