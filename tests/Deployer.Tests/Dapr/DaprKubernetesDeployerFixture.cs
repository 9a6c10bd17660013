using ModelPlatform.Deployer.Tests.Kubernetes;
using ModelPlatform.Deployer.Tests.Kubernetes.Fake;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Dapr;

/// <summary>
/// The production combination as a real deployer process: <c>Deployer__Runtime=Dapr</c> with
/// <c>Deployer__Provisioner=Kubernetes</c>, its sidecar the fake Dapr sidecar (state, metadata and
/// workflow APIs; the SDK's own worker runs the workflows against it) and its cluster the fake
/// Kubernetes API server. Both are stand-ins, not daprd and kube-apiserver.
/// </summary>
public sealed class DaprKubernetesDeployerFixture : DeployerHarness, IAsyncLifetime
{
    private FakeKubernetesApi? _api;
    private FakeDaprSidecar? _sidecar;

    public FakeKubernetesApi Api => _api ?? throw new InvalidOperationException("not started");

    internal FakeDaprSidecar Sidecar => _sidecar ?? throw new InvalidOperationException("not started");

    public override async ValueTask InitializeAsync()
    {
        _api = await FakeKubernetesApi.StartAsync();
        _api.Cluster.AutoReady = true;
        _sidecar = await FakeDaprSidecar.StartAsync();
        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_sidecar is not null)
        {
            await _sidecar.DisposeAsync();
        }

        if (_api is not null)
        {
            await _api.DisposeAsync();
        }
    }

    protected override Dictionary<string, string> Settings() => new(Sidecar.Environment)
    {
        ["Deployer__Runtime"] = "Dapr",
        ["Deployer__Provisioner"] = "Kubernetes",
        ["KUBECONFIG"] = Api.KubeConfigPath,
        ["Deployer__Kubernetes__ReferenceImage"] = KubernetesTestBed.ReferenceImage,
        ["Deployer__Kubernetes__ModelVolumeClaim"] = "model-files",
        ["Deployer__Kubernetes__WatchBackoff"] = "00:00:00.050",
        ["Deployer__Kubernetes__MaxWatchBackoff"] = "00:00:00.500",
        ["Deployer__ReadyTimeout"] = "00:00:30",
    };
}
