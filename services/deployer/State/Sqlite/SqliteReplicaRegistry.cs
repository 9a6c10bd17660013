using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Provisioning.Processes;

namespace ModelPlatform.Deployer.State.Sqlite;

/// <summary>The replica registry in the embedded SQLite file.</summary>
internal sealed class SqliteReplicaRegistry : IReplicaRegistry
{
    private static readonly JsonSerializerOptions Json = Common.StoredJson.Options;

    /// <summary>Columns added after the table's first version; a file written before them gains them, empty.</summary>
    private static readonly (string Name, string Type)[] AddedColumns = [("start_time", "INTEGER"), ("command_line", "TEXT")];

    private readonly SqliteDatabase _database;

    public SqliteReplicaRegistry(SqliteDatabase database)
    {
        _database = database;
        Migrate();
    }

    public async Task SaveAsync(RegisteredReplica replica, CancellationToken cancellationToken)
    {
        await using var connection = _database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO replicas (replica_set, ordinal, pid, port, started, spec, start_time, command_line)
            VALUES ($set, $ordinal, $pid, $port, $started, $spec, $startTime, $commandLine)
            ON CONFLICT(replica_set, ordinal) DO UPDATE SET
                pid = $pid, port = $port, started = $started, spec = $spec, start_time = $startTime, command_line = $commandLine
            """;
        command.Parameters.AddWithValue("$set", replica.ReplicaSet);
        command.Parameters.AddWithValue("$ordinal", replica.Ordinal);
        command.Parameters.AddWithValue("$pid", replica.Pid);
        command.Parameters.AddWithValue("$port", replica.Port);
        command.Parameters.AddWithValue("$started", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$spec", JsonSerializer.Serialize(replica.Spec, Json));
        command.Parameters.AddWithValue("$startTime", (object?)replica.Identity?.StartTime ?? DBNull.Value);
        command.Parameters.AddWithValue("$commandLine", (object?)replica.Identity?.CommandLine ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RemoveAsync(string replicaSet, int ordinal, CancellationToken cancellationToken)
    {
        await using var connection = _database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM replicas WHERE replica_set = $set AND ordinal = $ordinal";
        command.Parameters.AddWithValue("$set", replicaSet);
        command.Parameters.AddWithValue("$ordinal", ordinal);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<RegisteredReplica>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = _database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT replica_set, ordinal, pid, port, spec, start_time, command_line FROM replicas ORDER BY replica_set, ordinal";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<RegisteredReplica>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var identity = reader.IsDBNull(5) || reader.IsDBNull(6) ? null : new ProcessIdentity(reader.GetInt64(5), reader.GetString(6));
            list.Add(new RegisteredReplica(
                reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3),
                JsonSerializer.Deserialize<ReplicaSetSpec>(reader.GetString(4), Json)!, identity));
        }

        return list;
    }

    private void Migrate()
    {
        try
        {
            using var connection = _database.Open();
            // IMMEDIATE takes the write lock before reading the columns, so two deployers starting
            // on one file cannot both decide to add the same column.
            using var transaction = connection.BeginTransaction(deferred: false);
            var existing = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            using (var columns = connection.CreateCommand())
            {
                columns.CommandText = "SELECT name FROM pragma_table_info('replicas')";
                using var reader = columns.ExecuteReader();
                while (reader.Read())
                {
                    existing.Add(reader.GetString(0));
                }
            }

            foreach (var (name, type) in AddedColumns.Where(column => !existing.Contains(column.Name)))
            {
                using var add = connection.CreateCommand();
                add.CommandText = $"ALTER TABLE replicas ADD COLUMN {name} {type}";
                add.ExecuteNonQuery();
            }

            transaction.Commit();
        }
        catch (SqliteException ex)
        {
            throw new StoreUnavailableException($"The deployer's store {_database.Path} cannot record replica identities: {ex.Message}", ex);
        }
    }
}
