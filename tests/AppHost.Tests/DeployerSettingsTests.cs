using Microsoft.Extensions.Configuration;
using ModelPlatform.Contracts;

namespace ModelPlatform.AppHost.Tests;

public sealed class DeployerSettingsTests : IDisposable
{
    private const string Bundled = "/bundled/models";

    private readonly string _folder = Directory.CreateTempSubdirectory("modelplatform-apphost-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_model_root_the_user_gives_is_kept_and_the_bundled_folder_goes_after_it()
    {
        var environment = Settings(("Deployer:ModelRoots:0", "/my/models"));

        Assert.Equal("/my/models", environment["Deployer__ModelRoots__0"]);
        Assert.Equal(Bundled, environment["Deployer__ModelRoots__1"]);
    }

    [Fact]
    public void Without_roots_of_the_user_the_bundled_folder_is_the_first()
    {
        var environment = Settings();

        Assert.Equal(Bundled, environment["Deployer__ModelRoots__0"]);
        Assert.DoesNotContain(environment.Keys, key => key.StartsWith("Deployer__Auth__", StringComparison.Ordinal));
    }

    [Fact]
    public void Tokens_of_the_user_are_kept_and_the_token_files_token_is_added_as_an_admin()
    {
        var userHash = BearerTokens.Sha256Hex("user-token");
        var environment = Settings(
            ("Deployer:Auth:Tokens:0:Name", "ci"), ("Deployer:Auth:Tokens:0:Role", "deployer"), ("Deployer:Auth:Tokens:0:Sha256", userHash));

        Assert.Equal("ci", environment["Deployer__Auth__Tokens__0__Name"]);
        Assert.Equal(userHash, environment["Deployer__Auth__Tokens__0__Sha256"]);
        Assert.Equal(DeployerSettings.TokenName, environment["Deployer__Auth__Tokens__1__Name"]);
        Assert.Equal("admin", environment["Deployer__Auth__Tokens__1__Role"]);
        Assert.Equal(BearerTokens.Sha256Hex(AdminTokenFile.Read(TokenFile())), environment["Deployer__Auth__Tokens__1__Sha256"]);
    }

    private IReadOnlyDictionary<string, string> Settings(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(setting => KeyValuePair.Create(setting.Key, (string?)setting.Value)))
            .Build();
        return DeployerSettings.Environment(configuration, Bundled, TokenFile());
    }

    private string TokenFile() => AdminTokenFile.EnsureExists(_folder, out _);
}
