using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Audit;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.State;
using ModelPlatform.Deployer.State.Sqlite;

namespace ModelPlatform.Deployer.Tests;

/// <summary>The audit log's contract on the embedded runtime's SQLite file.</summary>
public sealed class SqliteAuditLogTests : AuditLogContract
{
    private readonly string _data = Directory.CreateTempSubdirectory("modelplatform-audit-").FullName;

    public override ValueTask DisposeAsync()
    {
        Directory.Delete(_data, recursive: true);
        return ValueTask.CompletedTask;
    }

    private protected override ValueTask<(IDeploymentStore Store, IAuditLog Audit)> OpenAsync()
    {
        var database = new SqliteDatabase(Options.Create(new DeployerOptions { DataDirectory = _data }));
        return ValueTask.FromResult<(IDeploymentStore, IAuditLog)>((new SqliteDeploymentStore(database), new SqliteAuditLog(database)));
    }
}
