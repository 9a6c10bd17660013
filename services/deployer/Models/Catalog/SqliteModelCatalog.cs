using System.Text.Json;
using Microsoft.Data.Sqlite;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.State.Sqlite;

namespace ModelPlatform.Deployer.Models.Catalog;

/// <summary>
/// Model versions in the embedded runtime's SQLite file: a row per version (its answer as JSON) and
/// a row per name holding the last number given, so numbers are never reused.
/// </summary>
internal sealed class SqliteModelCatalog : IModelCatalog
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS model_names (
            name TEXT PRIMARY KEY,
            last_version INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS model_versions (
            name TEXT NOT NULL,
            version INTEGER NOT NULL,
            digest TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (name, version),
            UNIQUE (name, digest));
        CREATE INDEX IF NOT EXISTS model_versions_by_digest ON model_versions (digest);
        """;

    private static readonly JsonSerializerOptions Json = Common.StoredJson.Options;

    private readonly SqliteDatabase _database;

    public SqliteModelCatalog(SqliteDatabase database)
    {
        _database = database;
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = Schema;
        command.ExecuteNonQuery();
    }

    public Task<IReadOnlyList<ModelVersion>> ListAsync(CancellationToken cancellationToken) =>
        QueryAsync("SELECT body FROM model_versions ORDER BY name, version", null, cancellationToken);

    public Task<IReadOnlyList<ModelVersion>> VersionsAsync(string name, CancellationToken cancellationToken) =>
        QueryAsync("SELECT body FROM model_versions WHERE name = $name ORDER BY version", name, cancellationToken);

    public async Task<(ModelVersion Version, bool Created)> AddAsync(ModelVersionDraft draft, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        await using var connection = _database.Open();
        // IMMEDIATE takes the write lock first, so two uploads of one name cannot both read the same last number.
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using (var existing = connection.CreateCommand())
        {
            existing.Transaction = transaction;
            existing.CommandText = "SELECT body FROM model_versions WHERE name = $name AND digest = $digest";
            existing.Parameters.AddWithValue("$name", draft.Name);
            existing.Parameters.AddWithValue("$digest", draft.Digest);
            if (await existing.ExecuteScalarAsync(cancellationToken) is string body)
            {
                return (JsonSerializer.Deserialize<ModelVersion>(body, Json)!, false);
            }
        }

        long number;
        await using (var next = connection.CreateCommand())
        {
            next.Transaction = transaction;
            next.CommandText = """
                INSERT INTO model_names (name, last_version) VALUES ($name, 1)
                ON CONFLICT(name) DO UPDATE SET last_version = last_version + 1
                RETURNING last_version
                """;
            next.Parameters.AddWithValue("$name", draft.Name);
            number = (long)(await next.ExecuteScalarAsync(cancellationToken))!;
        }

        var version = draft.Numbered(checked((int)number));
        await using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO model_versions (name, version, digest, body) VALUES ($name, $version, $digest, $body)";
            insert.Parameters.AddWithValue("$name", version.Name);
            insert.Parameters.AddWithValue("$version", version.Version);
            insert.Parameters.AddWithValue("$digest", version.Digest);
            insert.Parameters.AddWithValue("$body", JsonSerializer.Serialize(version, Json));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (version, true);
    }

    public async Task<bool> DeleteAsync(string name, int version, CancellationToken cancellationToken)
    {
        await using var connection = _database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM model_versions WHERE name = $name AND version = $version";
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$version", version);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    private async Task<IReadOnlyList<ModelVersion>> QueryAsync(string sql, string? name, CancellationToken cancellationToken)
    {
        await using var connection = _database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (name is not null)
        {
            command.Parameters.AddWithValue("$name", name);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var versions = new List<ModelVersion>();
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(JsonSerializer.Deserialize<ModelVersion>(reader.GetString(0), Json)!);
        }

        return versions;
    }
}
