using System.Globalization;
using Microsoft.Data.Sqlite;
using ModelPlatform.Deployer.Workflows.Embedded;

namespace ModelPlatform.Deployer.State.Sqlite;

/// <summary>The embedded workflow journal in the SQLite file; steps are read back in the order they were appended (rowid).</summary>
internal sealed class SqliteWorkflowJournal(SqliteDatabase database, TimeProvider time) : IWorkflowJournal
{
    public async Task CreateInstanceAsync(WorkflowInstanceRecord instance, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO workflow_instances (id, workflow, input, status, created, updated)
            VALUES ($id, $workflow, $input, $status, $now, $now) ON CONFLICT(id) DO NOTHING
            """;
        command.Parameters.AddWithValue("$id", instance.Id);
        command.Parameters.AddWithValue("$workflow", instance.Workflow);
        command.Parameters.AddWithValue("$input", (object?)instance.Input ?? DBNull.Value);
        command.Parameters.AddWithValue("$status", instance.Status);
        command.Parameters.AddWithValue("$now", Format(instance.Created));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<WorkflowInstanceRecord?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, workflow, input, status, output, error, created FROM workflow_instances WHERE id = $id";
        command.Parameters.AddWithValue("$id", instanceId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadInstance(reader) : null;
    }

    public async Task FinishAsync(string instanceId, string status, string? output, string? error, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "UPDATE workflow_instances SET status = $status, output = $output, error = $error, updated = $now WHERE id = $id";
            command.Parameters.AddWithValue("$id", instanceId);
            command.Parameters.AddWithValue("$status", status);
            command.Parameters.AddWithValue("$output", (object?)output ?? DBNull.Value);
            command.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
            command.Parameters.AddWithValue("$now", Format(time.GetUtcNow()));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "DELETE FROM workflow_journal WHERE instance_id = $id";
            command.Parameters.AddWithValue("$id", instanceId);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task PurgeFinishedAsync(DateTimeOffset finishedBefore, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            // Journals of instances that finished before finishing dropped their steps are removed too.
            command.CommandText = """
                DELETE FROM workflow_journal WHERE instance_id IN
                    (SELECT id FROM workflow_instances WHERE status <> $running AND updated < $before)
                """;
            command.Parameters.AddWithValue("$running", WorkflowStatus.Running);
            command.Parameters.AddWithValue("$before", Format(finishedBefore));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "DELETE FROM workflow_instances WHERE status <> $running AND updated < $before";
            command.Parameters.AddWithValue("$running", WorkflowStatus.Running);
            command.Parameters.AddWithValue("$before", Format(finishedBefore));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<WorkflowInstanceRecord>> ListRunningAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, workflow, input, status, output, error, created FROM workflow_instances WHERE status = $status ORDER BY created";
        command.Parameters.AddWithValue("$status", WorkflowStatus.Running);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<WorkflowInstanceRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(ReadInstance(reader));
        }

        return list;
    }

    public async Task<IReadOnlyList<JournalEntry>> ReadAsync(string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT sequence, kind, name, result, error, recorded FROM workflow_journal WHERE instance_id = $id ORDER BY rowid";
        command.Parameters.AddWithValue("$id", instanceId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<JournalEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new JournalEntry(
                reader.GetInt32(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                DateTimeOffset.Parse(reader.GetString(5), CultureInfo.InvariantCulture)));
        }

        return list;
    }

    public async Task AppendAsync(string instanceId, JournalEntry entry, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO workflow_journal (instance_id, sequence, kind, name, result, error, recorded)
            VALUES ($id, $sequence, $kind, $name, $result, $error, $recorded)
            """;
        command.Parameters.AddWithValue("$id", instanceId);
        command.Parameters.AddWithValue("$sequence", entry.Sequence);
        command.Parameters.AddWithValue("$kind", entry.Kind);
        command.Parameters.AddWithValue("$name", entry.Name);
        command.Parameters.AddWithValue("$result", (object?)entry.Result ?? DBNull.Value);
        command.Parameters.AddWithValue("$error", (object?)entry.Error ?? DBNull.Value);
        command.Parameters.AddWithValue("$recorded", Format(entry.Recorded));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static WorkflowInstanceRecord ReadInstance(SqliteDataReader reader) => new(
        reader.GetString(0), reader.GetString(1),
        reader.IsDBNull(2) ? null : reader.GetString(2),
        reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        DateTimeOffset.Parse(reader.GetString(6), CultureInfo.InvariantCulture));

    private static string Format(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);
}
