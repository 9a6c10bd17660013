using Microsoft.Extensions.Options;
using ModelPlatform.Gateway.Configuration;
using ModelPlatform.Gateway.Routing;

namespace ModelPlatform.Gateway.Tests.Routing;

public sealed class DeployerTokenTests : IDisposable
{
    private static readonly DateTime Written = new(2026, 11, 27, 12, 0, 0, DateTimeKind.Utc);

    private readonly string _file = Path.Combine(Path.GetTempPath(), $"gateway-token-{Guid.NewGuid():N}");
    private readonly ManualClock _time = new();

    public void Dispose() => File.Delete(_file);

    [Fact]
    public void A_configured_token_is_sent_as_is()
    {
        var token = new DeployerToken(Options.Create(new DeployerConnectionOptions { Token = "configured" }), _time);

        Assert.Equal("configured", token.Current());
        Assert.Equal("Deployer:Token", token.Source);
    }

    [Fact]
    public void A_rotated_token_file_is_read_again_when_it_changes()
    {
        var token = FromFile();
        Write("first\n", Written);
        Assert.Equal("first", token.Current());

        Write("second\n", Written.AddSeconds(1));

        Assert.Equal("second", token.Current());
    }

    [Fact]
    public void A_token_file_replaced_without_a_new_time_is_read_again_after_the_refresh_interval()
    {
        var token = FromFile(TimeSpan.FromMinutes(1));
        Write("first", Written);
        Assert.Equal("first", token.Current());

        Write("second", Written);
        Assert.Equal("first", token.Current());
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal("second", token.Current());
    }

    [Fact]
    public void A_refused_token_is_read_again_at_once()
    {
        var token = FromFile(TimeSpan.FromMinutes(1));
        Write("first", Written);
        Assert.Equal("first", token.Current());

        Write("second", Written);
        token.Refused();

        Assert.Equal("second", token.Current());
    }

    [Fact]
    public void The_source_names_the_file_but_never_the_token()
    {
        Write("secret-token", Written);

        var source = FromFile().Source;

        Assert.Contains(_file, source, StringComparison.Ordinal);
        Assert.Contains("Deployer:TokenFile", source, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-token", source, StringComparison.Ordinal);
    }

    private DeployerToken FromFile(TimeSpan? refresh = null) =>
        new(Options.Create(new DeployerConnectionOptions { TokenFile = _file, TokenFileRefreshInterval = refresh ?? TimeSpan.FromMinutes(1) }), _time);

    private void Write(string text, DateTime written)
    {
        File.WriteAllText(_file, text);
        File.SetLastWriteTimeUtc(_file, written);
    }
}
