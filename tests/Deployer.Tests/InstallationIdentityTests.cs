using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.State.Dapr;
using ModelPlatform.Deployer.State.Sqlite;
using ModelPlatform.Deployer.Tests.Dapr;

namespace ModelPlatform.Deployer.Tests;

/// <summary>The installation id lives in the deployer's own store: the same store gives the same id, another (or an empty) one a new id.</summary>
public sealed class InstallationIdentityTests : IDisposable
{
    private readonly List<string> _directories = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sqlite_keeps_the_id_it_made_and_an_empty_store_makes_another()
    {
        var data = NewDirectory();

        var first = await new SqliteInstallationIdentity(Database(data)).GetAsync(Ct);
        var again = await new SqliteInstallationIdentity(Database(data)).GetAsync(Ct);
        var empty = await new SqliteInstallationIdentity(Database(NewDirectory())).GetAsync(Ct);

        Assert.Matches("^[0-9a-f]{32}$", first);
        Assert.Equal(first, again);
        Assert.NotEqual(first, empty);
    }

    [Fact]
    public async Task Dapr_keeps_the_id_it_made_under_its_key_and_another_store_makes_another()
    {
        await using var sidecar = await FakeDaprSidecar.StartAsync();
        await using var other = await FakeDaprSidecar.StartAsync();

        var first = await new DaprInstallationIdentity(sidecar.State()).GetAsync(Ct);
        var again = await new DaprInstallationIdentity(sidecar.State()).GetAsync(Ct);
        var elsewhere = await new DaprInstallationIdentity(other.State()).GetAsync(Ct);

        Assert.Matches("^[0-9a-f]{32}$", first);
        Assert.Equal(first, again);
        Assert.NotEqual(first, elsewhere);
        Assert.Contains(DaprInstallationIdentity.Key, sidecar.Store.Keys);
    }

    public void Dispose()
    {
        foreach (var directory in _directories)
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static SqliteDatabase Database(string directory) =>
        new(Options.Create(new DeployerOptions { DataDirectory = directory }));

    private string NewDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("installation-").FullName;
        _directories.Add(directory);
        return directory;
    }
}
