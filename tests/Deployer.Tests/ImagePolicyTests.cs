using System.Net;
using System.Text.Json.Nodes;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>A deployer that allows images from ghcr.io/acme and registry.example.com:5000 only.</summary>
public sealed class ImagePolicyFixture : DeployerHarness, IAsyncLifetime
{
    protected override Dictionary<string, string> Settings() => new()
    {
        ["Deployer__AllowedRegistries__0"] = "ghcr.io/acme",
        ["Deployer__AllowedRegistries__1"] = "registry.example.com:5000",
    };
}

/// <summary>
/// The registry allow-list is checked before the embedded runtime's refusal of images: a disallowed
/// image hears about the allow-list, an allowed one that this runtime cannot run hears that.
/// </summary>
public sealed class ImagePolicyTests(ImagePolicyFixture deployer) : IClassFixture<ImagePolicyFixture>
{
    private const string NotAllowed = "which is not from an allowed registry (Deployer:AllowedRegistries: ghcr.io/acme, registry.example.com:5000)";
    private const string NeedsRuntime = "image variants need a container runtime";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("ghcr.io/acme/model:1.0", NeedsRuntime)]
    [InlineData("ghcr.io/acme/team/model@sha256:0123456789abcdef0123456789abcdef", NeedsRuntime)]
    [InlineData("registry.example.com:5000/any/thing", NeedsRuntime)]
    [InlineData("ghcr.io/acmecorp/model:1", NotAllowed)]
    [InlineData("ghcr.io/other/model", NotAllowed)]
    [InlineData("registry.example.com/any/thing", NotAllowed)]
    [InlineData("nginx:1.27", NotAllowed)]
    [InlineData("acme/model", NotAllowed)]
    public async Task Images_are_checked_against_the_allow_list_first(string image, string message)
    {
        using var response = await deployer.CreateAsync("img", new { image }, new { image = "ghcr.io/other/canary:1" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await DeployerHarness.ProblemAsync(response, Ct))["errors"]!.AsObject();
        Assert.Contains(message, Single(errors, "stable.image"), StringComparison.Ordinal);
        Assert.Contains(NotAllowed, Single(errors, "canary.image"), StringComparison.Ordinal);
        Assert.Null(await deployer.GetAsync("img", Ct));
    }

    [Fact]
    public async Task Model_variants_are_untouched_by_the_allow_list()
    {
        using var response = await deployer.CreateAsync("model-only", deployer.ModelVariant(replicas: 0), cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private static string Single(JsonObject errors, string field) => Assert.Single(errors[field]!.AsArray())!.GetValue<string>();
}
