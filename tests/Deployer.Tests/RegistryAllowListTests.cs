using ModelPlatform.Deployer.Validation;

namespace ModelPlatform.Deployer.Tests;

/// <summary>Image references are read as Docker reads them, and the allow-list matches registry and repository prefix.</summary>
public sealed class RegistryAllowListTests
{
    [Theory]
    [InlineData("nginx", "docker.io", "library/nginx")]
    [InlineData("nginx:1.27", "docker.io", "library/nginx")]
    [InlineData("acme/model:1", "docker.io", "acme/model")]
    [InlineData("docker.io/nginx", "docker.io", "library/nginx")]
    [InlineData("index.docker.io/acme/model", "docker.io", "acme/model")]
    [InlineData("ghcr.io/acme/model:1.0", "ghcr.io", "acme/model")]
    [InlineData("GHCR.io/acme/model", "ghcr.io", "acme/model")]
    [InlineData("localhost/model", "localhost", "model")]
    [InlineData("localhost:5000/team/model@sha256:0123456789abcdef0123456789abcdef", "localhost:5000", "team/model")]
    [InlineData("registry.example.com:443/a/b/c:tag", "registry.example.com:443", "a/b/c")]
    public void A_reference_names_its_registry_and_repository_with_docker_defaults(string reference, string registry, string repository)
    {
        Assert.True(OciReference.TryParse(reference, out var image));
        Assert.Equal(new ImageName(registry, repository), image);
    }

    [Theory]
    [InlineData("UPPER/Case::tag")]
    [InlineData("ghcr.io/acme/Model")]
    [InlineData("")]
    public void An_invalid_reference_does_not_parse(string reference) => Assert.False(OciReference.TryParse(reference, out _));

    [Theory]
    [InlineData("ghcr.io/acme/model:1", true)]
    [InlineData("ghcr.io/acme/team/model:1", true)]
    [InlineData("ghcr.io/acme:1", true)]
    [InlineData("ghcr.io/acmecorp/model:1", false)]
    [InlineData("ghcr.io/other/model", false)]
    [InlineData("registry.example.com/anything/at/all", true)]
    [InlineData("registry.example.com:5000/model", false)]
    [InlineData("evil.example.com/registry.example.com/model", false)]
    [InlineData("nginx", false)]
    [InlineData("acme/model", false)]
    [InlineData("docker.io/library/nginx", false)]
    public void Images_match_a_registry_entry_or_a_repository_prefix(string image, bool allowed)
    {
        var list = new RegistryAllowList(["ghcr.io/acme", "registry.example.com"]);

        Assert.True(OciReference.TryParse(image, out var name));
        Assert.Equal(allowed, list.Allows(name));
    }

    [Theory]
    [InlineData("nginx:1.27", true)]
    [InlineData("docker.io/library/nginx", true)]
    [InlineData("acme/model", false)]
    public void Short_names_need_a_docker_io_entry(string image, bool allowed)
    {
        var list = new RegistryAllowList(["docker.io/library", "index.docker.io/library/"]);

        Assert.True(OciReference.TryParse(image, out var name));
        Assert.Equal(allowed, list.Allows(name));
    }

    [Fact]
    public void An_empty_list_allows_every_image()
    {
        Assert.True(OciReference.TryParse("anything.example/x/y:z", out var name));
        Assert.True(new RegistryAllowList([]).Allows(name));
    }

    [Theory]
    [InlineData("acme")]
    [InlineData("")]
    [InlineData("https://ghcr.io")]
    [InlineData("ghcr.io/acme:1.0")]
    [InlineData("ghcr.io/Acme")]
    [InlineData("ghcr.io/acme@sha256:0123456789abcdef0123456789abcdef")]
    public void Entries_must_be_a_registry_host_with_an_optional_repository_prefix(string entry)
    {
        Assert.False(RegistryAllowList.TryParseEntry(entry, out _, out var error));
        Assert.NotEmpty(error);
        Assert.Throws<ArgumentException>(() => new RegistryAllowList([entry]));
    }
}
