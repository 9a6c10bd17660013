using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Provisioning.Processes;
using ModelPlatform.Deployer.State.Sqlite;

namespace ModelPlatform.Deployer.Tests;

/// <summary>The replica registry in the embedded SQLite file, including files written by earlier versions.</summary>
public sealed class SqliteReplicaRegistryTests : IDisposable
{
    private static readonly ReplicaSetSpec Spec = new("m-abc", "m", VariantNames.Stable, new VariantSpec { Model = new ModelSource { Format = "onnx", Uri = "/models/m.onnx" } });

    private readonly string _data = Directory.CreateTempSubdirectory("modelplatform-registry-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_replica_is_listed_with_the_identity_it_was_saved_with()
    {
        var registry = new SqliteReplicaRegistry(Database());

        await registry.SaveAsync(new RegisteredReplica("m-abc", 0, 1234, 5678, Spec, new ProcessIdentity(987654, "/usr/bin/dotnet /srv/server.dll")), Ct);

        var listed = Assert.Single(await registry.ListAsync(Ct));
        Assert.Equal(new ProcessIdentity(987654, "/usr/bin/dotnet /srv/server.dll"), listed.Identity);
        Assert.Equal((1234, 5678), (listed.Pid, listed.Port));
    }

    [Fact]
    public async Task A_file_from_before_identities_keeps_its_replicas_and_gains_the_columns()
    {
        var database = Database();
        await using (var connection = database.Open())
        {
            await using var command = connection.CreateCommand();
            // The table as the first version made it, with one replica in it.
            command.CommandText = """
                DROP TABLE replicas;
                CREATE TABLE replicas (replica_set TEXT NOT NULL, ordinal INTEGER NOT NULL, pid INTEGER NOT NULL, port INTEGER NOT NULL,
                    started TEXT NOT NULL, spec TEXT NOT NULL, PRIMARY KEY (replica_set, ordinal));
                INSERT INTO replicas VALUES ('m-abc', 0, 1234, 5678, '2026-01-01T00:00:00Z',
                    '{"id":"m-abc","deployment":"m","variant":"stable","spec":{"model":{"format":"onnx","uri":"/models/m.onnx"},"replicas":1}}');
                """;
            await command.ExecuteNonQueryAsync(Ct);
        }

        var registry = new SqliteReplicaRegistry(database);
        var legacy = Assert.Single(await registry.ListAsync(Ct));
        Assert.Null(legacy.Identity);
        Assert.Equal(1234, legacy.Pid);

        await registry.SaveAsync(legacy with { Identity = new ProcessIdentity(42, "dotnet server.dll") }, Ct);
        Assert.Equal(new ProcessIdentity(42, "dotnet server.dll"), Assert.Single(await new SqliteReplicaRegistry(database).ListAsync(Ct)).Identity);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    private SqliteDatabase Database() => new(Options.Create(new DeployerOptions { DataDirectory = _data }));
}
