using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Domain;

namespace ModelPlatform.Deployer.State.Sqlite;

/// <summary>
/// The audit trail in the embedded SQLite file. A change and its entry share one write transaction
/// (<c>BEGIN IMMEDIATE</c>, which also serializes the quota's count with the insert it guards).
/// Times are stored as UTC ISO 8601 text, which sorts as time does.
/// </summary>
internal sealed class SqliteAuditLog(SqliteDatabase database) : IAuditLog
{
    private static readonly JsonSerializerOptions Json = Common.StoredJson.Options;

    public async Task<StoredDeployment> CreateAsync(DeploymentRecord record, AuditDraft entry, int maxDeployments, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var transaction = connection.BeginTransaction(deferred: false);
        await using (var taken = connection.CreateCommand())
        {
            // Name first: a retried create of an existing deployment is answered as such, even at the quota.
            taken.Transaction = transaction;
            taken.CommandText = "SELECT (SELECT COUNT(*) FROM deployments WHERE name = $name), (SELECT COUNT(*) FROM deployments)";
            taken.Parameters.AddWithValue("$name", record.Name);
            await using var reader = await taken.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            if (reader.GetInt64(0) > 0)
            {
                throw new ConcurrencyException($"Deployment '{record.Name}' already exists.");
            }

            var used = reader.GetInt32(1);
            if (used >= maxDeployments)
            {
                throw new QuotaExceededException(maxDeployments, used);
            }
        }

        var stored = await SqliteDeploymentStore.InsertAsync(connection, transaction, record, cancellationToken);
        await AppendAsync(connection, transaction, entry, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    public async Task<StoredDeployment> UpdateAsync(DeploymentRecord record, string etag, AuditDraft entry, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var transaction = connection.BeginTransaction(deferred: false);
        var stored = await SqliteDeploymentStore.UpdateAsync(connection, transaction, record, etag, cancellationToken);
        await AppendAsync(connection, transaction, entry, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    public async Task SettleAsync(string deploymentUid, long revision, AuditOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var settled = Format(outcome.Time ?? DateTimeOffset.UtcNow);
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            UPDATE audit SET outcome = $outcome, reason = $reason, settled = $settled
            WHERE deployment_uid = $uid AND revision = $revision AND outcome = '{AuditOutcomes.Pending}';
            UPDATE audit SET outcome = '{AuditOutcomes.Superseded}', reason = $superseded, settled = $settled
            WHERE deployment_uid = $uid AND revision < $revision AND outcome = '{AuditOutcomes.Pending}';
            """;
        command.Parameters.AddWithValue("$uid", deploymentUid);
        command.Parameters.AddWithValue("$revision", revision);
        command.Parameters.AddWithValue("$outcome", outcome.Status);
        command.Parameters.AddWithValue("$reason", (object?)outcome.Reason ?? DBNull.Value);
        command.Parameters.AddWithValue("$settled", settled);
        command.Parameters.AddWithValue("$superseded", $"Revision {revision} replaced it before it finished.");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        var where = new StringBuilder("1 = 1");
        void Filter(string clause, string parameter, object? value)
        {
            if (value is not null)
            {
                where.Append(" AND ").Append(clause);
                command.Parameters.AddWithValue(parameter, value);
            }
        }

        Filter("deployment = $deployment", "$deployment", query.Deployment);
        Filter("actor = $actor", "$actor", query.Actor);
        Filter("action = $action", "$action", query.Action);
        Filter("time >= $since", "$since", query.Since is { } since ? Format(since) : null);
        Filter("id < $after", "$after", query.After);
        command.CommandText = $"""
            SELECT id, deployment, action, actor, time, revision, before, after, outcome, reason, settled
            FROM audit WHERE {where} ORDER BY id DESC LIMIT $limit
            """;
        // One more than asked tells whether another page follows.
        command.Parameters.AddWithValue("$limit", query.Limit + 1);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<AuditEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(Read(reader));
        }

        var more = items.Count > query.Limit;
        if (more)
        {
            items.RemoveAt(items.Count - 1);
        }

        return new AuditPage(items, more ? items[^1].Id.ToString(CultureInfo.InvariantCulture) : null);
    }

    private static async Task AppendAsync(SqliteConnection connection, SqliteTransaction transaction, AuditDraft entry, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO audit (deployment, deployment_uid, action, actor, time, revision, before, after, outcome, reason, settled)
            VALUES ($deployment, $uid, $action, $actor, $time, $revision, $before, $after, $outcome, $reason, $settled)
            """;
        command.Parameters.AddWithValue("$deployment", entry.Deployment);
        command.Parameters.AddWithValue("$uid", entry.DeploymentUid);
        command.Parameters.AddWithValue("$action", entry.Action);
        command.Parameters.AddWithValue("$actor", entry.Actor);
        command.Parameters.AddWithValue("$time", Format(entry.Time));
        command.Parameters.AddWithValue("$revision", entry.Revision);
        command.Parameters.AddWithValue("$before", entry.Before is null ? DBNull.Value : JsonSerializer.Serialize(entry.Before, Json));
        command.Parameters.AddWithValue("$after", entry.After is null ? DBNull.Value : JsonSerializer.Serialize(entry.After, Json));
        command.Parameters.AddWithValue("$outcome", entry.Settled?.Status ?? AuditOutcomes.Pending);
        command.Parameters.AddWithValue("$reason", (object?)entry.Settled?.Reason ?? DBNull.Value);
        command.Parameters.AddWithValue("$settled", entry.Settled is { } settled ? Format(settled.Time ?? entry.Time) : DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static AuditEntry Read(SqliteDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        Parse(reader.GetString(4)),
        reader.GetInt64(5),
        reader.IsDBNull(6) ? null : JsonSerializer.Deserialize<DeploymentRequest>(reader.GetString(6), Json),
        reader.IsDBNull(7) ? null : JsonSerializer.Deserialize<DeploymentRequest>(reader.GetString(7), Json),
        new AuditOutcome(
            reader.GetString(8),
            reader.IsDBNull(9) ? null : reader.GetString(9),
            reader.IsDBNull(10) ? null : Parse(reader.GetString(10))));

    private static string Format(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
}
