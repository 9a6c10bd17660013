using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using ModelPlatform.Deployer.Domain;

namespace ModelPlatform.Deployer.State.Sqlite;

/// <summary>Deployments in SQLite, one row each; the ETag is a row version compared in the UPDATE itself.</summary>
internal sealed class SqliteDeploymentStore(SqliteDatabase database) : IDeploymentStore
{
    private static readonly JsonSerializerOptions Json = Common.StoredJson.Options;

    public async Task<StoredDeployment?> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT etag, body FROM deployments WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<StoredDeployment>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT etag, body FROM deployments ORDER BY name";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<StoredDeployment>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    public async Task<StoredDeployment> CreateAsync(DeploymentRecord record, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        return await InsertAsync(connection, null, record, cancellationToken);
    }

    public async Task<StoredDeployment> UpdateAsync(DeploymentRecord record, string etag, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        return await UpdateAsync(connection, null, record, etag, cancellationToken);
    }

    /// <summary>The insert, on a connection (and transaction) the caller holds, so other writes can share its transaction.</summary>
    internal static async Task<StoredDeployment> InsertAsync(
        SqliteConnection connection, SqliteTransaction? transaction, DeploymentRecord record, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO deployments (name, etag, body) VALUES ($name, 1, $body) ON CONFLICT(name) DO NOTHING";
        command.Parameters.AddWithValue("$name", record.Name);
        command.Parameters.AddWithValue("$body", JsonSerializer.Serialize(record, Json));
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            throw new ConcurrencyException($"Deployment '{record.Name}' already exists.");
        }

        return new StoredDeployment(record, "1");
    }

    /// <summary>The ETag-checked update, on a connection (and transaction) the caller holds.</summary>
    internal static async Task<StoredDeployment> UpdateAsync(
        SqliteConnection connection, SqliteTransaction? transaction, DeploymentRecord record, string etag, CancellationToken cancellationToken)
    {
        var expected = long.Parse(etag, CultureInfo.InvariantCulture);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "UPDATE deployments SET etag = etag + 1, body = $body WHERE name = $name AND etag = $etag";
        command.Parameters.AddWithValue("$name", record.Name);
        command.Parameters.AddWithValue("$etag", expected);
        command.Parameters.AddWithValue("$body", JsonSerializer.Serialize(record, Json));
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            throw new ConcurrencyException($"Deployment '{record.Name}' changed since ETag {etag} was read.");
        }

        return new StoredDeployment(record, (expected + 1).ToString(CultureInfo.InvariantCulture));
    }

    public async Task DeleteAsync(string name, string etag, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM deployments WHERE name = $name AND etag = $etag";
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$etag", long.Parse(etag, CultureInfo.InvariantCulture));
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            throw new ConcurrencyException($"Deployment '{name}' changed since ETag {etag} was read.");
        }
    }

    public async Task<long> NextRouteVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO counters (name, value) VALUES ('routes', 1)
            ON CONFLICT(name) DO UPDATE SET value = value + 1
            RETURNING value
            """;
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static StoredDeployment Read(SqliteDataReader reader) => new(
        JsonSerializer.Deserialize<DeploymentRecord>(reader.GetString(1), Json)!,
        reader.GetInt64(0).ToString(CultureInfo.InvariantCulture));
}
