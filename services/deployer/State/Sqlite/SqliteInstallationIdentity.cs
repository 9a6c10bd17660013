namespace ModelPlatform.Deployer.State.Sqlite;

/// <summary>The installation id in the embedded SQLite file, in a table of its own that holds one row.</summary>
internal sealed class SqliteInstallationIdentity(SqliteDatabase database) : IInstallationIdentity
{
    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();

        // The first caller's id wins; everyone reads the row that stayed.
        command.CommandText = """
            CREATE TABLE IF NOT EXISTS installation (
                singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                id TEXT NOT NULL);
            INSERT OR IGNORE INTO installation (singleton, id) VALUES (1, $id);
            SELECT id FROM installation WHERE singleton = 1;
            """;
        command.Parameters.AddWithValue("$id", InstallationIds.New());
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
