using Microsoft.Data.Sqlite;
using ModelPlatform.Deployer.Tests.Kubernetes.Fake;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Kubernetes;

/// <summary>
/// A real deployer process with <c>Deployer__Provisioner=Kubernetes</c>, its KUBECONFIG pointing at a
/// fake API server: its own, or one it shares with other deployers (other installations).
/// </summary>
public sealed class KubernetesDeployerFixture : DeployerHarness, IAsyncLifetime
{
    private readonly bool _ownsApi;
    private FakeKubernetesApi? _api;

    public KubernetesDeployerFixture()
    {
        _ownsApi = true;
    }

    internal KubernetesDeployerFixture(FakeKubernetesApi api)
    {
        _api = api;
    }

    public FakeKubernetesApi Api => _api ?? throw new InvalidOperationException("not started");

    public override async ValueTask InitializeAsync()
    {
        if (_ownsApi)
        {
            _api = await FakeKubernetesApi.StartAsync();
            _api.Cluster.AutoReady = true;
        }

        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsApi && _api is not null)
        {
            await _api.DisposeAsync();
        }
    }

    /// <summary>The installation id the deployer keeps in its store (and labels its objects with).</summary>
    public string InstallationId()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(DataDirectory, "deployer.db"), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM installation";
        return (string)command.ExecuteScalar()!;
    }

    /// <summary>Settings on top of these, for a deployer with something more turned on (the model store's address, say).</summary>
    internal Dictionary<string, string> ExtraSettings { get; init; } = [];

    protected override Dictionary<string, string> Settings() => new(ExtraSettings)
    {
        ["KUBECONFIG"] = Api.KubeConfigPath,
        ["Deployer__Provisioner"] = "Kubernetes",
        ["Deployer__Kubernetes__ReferenceImage"] = KubernetesTestBed.ReferenceImage,
        ["Deployer__Kubernetes__ModelVolumeClaim"] = "model-files",
        ["Deployer__Kubernetes__WatchBackoff"] = "00:00:00.050",
        ["Deployer__Kubernetes__MaxWatchBackoff"] = "00:00:00.500",
        ["Deployer__ReadyTimeout"] = "00:00:30",
    };
}
