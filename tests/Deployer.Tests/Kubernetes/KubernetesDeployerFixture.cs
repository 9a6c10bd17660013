using ModelPlatform.Deployer.Tests.Kubernetes.Fake;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Kubernetes;

/// <summary>A real deployer process with <c>Deployer__Provisioner=Kubernetes</c>, its KUBECONFIG pointing at a fake API server.</summary>
public sealed class KubernetesDeployerFixture : DeployerHarness, IAsyncLifetime
{
    private FakeKubernetesApi? _api;

    public FakeKubernetesApi Api => _api ?? throw new InvalidOperationException("not started");

    public override async ValueTask InitializeAsync()
    {
        _api = await FakeKubernetesApi.StartAsync();
        _api.Cluster.AutoReady = true;
        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }
    }

    protected override Dictionary<string, string> Settings() => new()
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
