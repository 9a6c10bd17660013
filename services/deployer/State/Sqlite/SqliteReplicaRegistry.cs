using System.Globalization;
using System.Text.Json;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Provisioning.Processes;

namespace ModelPlatform.Deployer.State.Sqlite;

/// <summary>The replica registry in the embedded SQLite file.</summary>
internal sealed class SqliteReplicaRegistry(SqliteDatabase database) : IReplicaRegistry
{
    private static readonly JsonSerializerOptions Json = Common.StoredJson.Options;

    public async Task SaveAsync(RegisteredReplica replica, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO replicas (replica_set, ordinal, pid, port, started, spec) VALUES ($set, $ordinal, $pid, $port, $started, $spec)
            ON CONFLICT(replica_set, ordinal) DO UPDATE SET pid = $pid, port = $port, started = $started, spec = $spec
            """;
        command.Parameters.AddWithValue("$set", replica.ReplicaSet);
        command.Parameters.AddWithValue("$ordinal", replica.Ordinal);
        command.Parameters.AddWithValue("$pid", replica.Pid);
        command.Parameters.AddWithValue("$port", replica.Port);
        command.Parameters.AddWithValue("$started", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$spec", JsonSerializer.Serialize(replica.Spec, Json));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RemoveAsync(string replicaSet, int ordinal, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM replicas WHERE replica_set = $set AND ordinal = $ordinal";
        command.Parameters.AddWithValue("$set", replicaSet);
        command.Parameters.AddWithValue("$ordinal", ordinal);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<RegisteredReplica>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT replica_set, ordinal, pid, port, spec FROM replicas ORDER BY replica_set, ordinal";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<RegisteredReplica>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new RegisteredReplica(
                reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3),
                JsonSerializer.Deserialize<ReplicaSetSpec>(reader.GetString(4), Json)!));
        }

        return list;
    }
}
