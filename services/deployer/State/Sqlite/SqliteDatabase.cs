using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.State.Sqlite;

/// <summary>The embedded runtime's SQLite file: opens connections and creates the schema once.</summary>
internal sealed class SqliteDatabase
{
    private const string Schema = """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS deployments (
            name TEXT PRIMARY KEY,
            etag INTEGER NOT NULL,
            body TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS counters (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS workflow_instances (
            id TEXT PRIMARY KEY,
            workflow TEXT NOT NULL,
            input TEXT,
            status TEXT NOT NULL,
            output TEXT,
            error TEXT,
            created TEXT NOT NULL,
            updated TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS workflow_journal (
            instance_id TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            result TEXT,
            error TEXT,
            recorded TEXT NOT NULL,
            PRIMARY KEY (instance_id, sequence));
        CREATE TABLE IF NOT EXISTS replicas (
            replica_set TEXT NOT NULL,
            ordinal INTEGER NOT NULL,
            pid INTEGER NOT NULL,
            port INTEGER NOT NULL,
            started TEXT NOT NULL,
            spec TEXT NOT NULL,
            PRIMARY KEY (replica_set, ordinal));
        CREATE TABLE IF NOT EXISTS audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            deployment TEXT NOT NULL,
            deployment_uid TEXT NOT NULL,
            action TEXT NOT NULL,
            actor TEXT NOT NULL,
            time TEXT NOT NULL,
            revision INTEGER NOT NULL,
            before TEXT,
            after TEXT,
            outcome TEXT NOT NULL,
            reason TEXT,
            settled TEXT);
        CREATE INDEX IF NOT EXISTS audit_by_deployment ON audit (deployment, id);
        CREATE INDEX IF NOT EXISTS audit_by_uid ON audit (deployment_uid, revision);
        """;

    private readonly string _connectionString;
    private readonly long _busyTimeoutMilliseconds;

    public SqliteDatabase(IOptions<DeployerOptions> options)
    {
        var directory = System.IO.Path.GetFullPath(options.Value.DataDirectory);
        Directory.CreateDirectory(directory);
        Path = System.IO.Path.Combine(directory, "deployer.db");
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            // Microsoft.Data.Sqlite retries a busy database until the command timeout too.
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.Value.StoreBusyTimeout.TotalSeconds)),
        }.ToString();

        _busyTimeoutMilliseconds = (long)options.Value.StoreBusyTimeout.TotalMilliseconds;
        try
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = Schema;
            command.ExecuteNonQuery();
        }
        catch (SqliteException ex)
        {
            throw new StoreUnavailableException(
                $"The deployer's store {Path} cannot be used: {ex.Message} The file is left as it is: restore it from a backup, or move it away to start with an empty store.", ex);
        }
    }

    public string Path { get; }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        // Waits for a writer in another connection instead of failing at once with SQLITE_BUSY.
        // WAL with synchronous=NORMAL survives a crash of the deployer (the case that matters for a
        // control plane on one machine) without an fsync on every commit.
        pragma.CommandText = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {_busyTimeoutMilliseconds}; PRAGMA synchronous = NORMAL;");
        pragma.ExecuteNonQuery();
        return connection;
    }
}
