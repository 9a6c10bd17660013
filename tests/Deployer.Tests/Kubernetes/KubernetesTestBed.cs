using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Provisioning.Kubernetes;
using ModelPlatform.Deployer.Tests.Kubernetes.Fake;

namespace ModelPlatform.Deployer.Tests.Kubernetes;

/// <summary>A started Kubernetes provisioner talking to a fake API server through a kubeconfig file.</summary>
internal sealed class KubernetesTestBed : IAsyncDisposable
{
    public const string ReferenceImage = "registry.example/model-platform/sample-inference:1.0";

    /// <summary>The installation every bed belongs to unless a test names another.</summary>
    public const string Installation = "0123456789abcdef0123456789abcdef";

    private readonly bool _ownsApi;

    private readonly ModelFetchSecret _fetchSecret;

    private KubernetesTestBed(FakeKubernetesApi api, KubernetesProvisioner provisioner, ModelFetchSecret fetchSecret, Security.ModelFetchToken fetchToken, DeployerOptions options, bool ownsApi)
    {
        _ownsApi = ownsApi;
        _fetchSecret = fetchSecret;
        FetchToken = fetchToken;
        Api = api;
        Provisioner = provisioner;
        Options = options;
    }

    public FakeKubernetesApi Api { get; }

    public FakeCluster Cluster => Api.Cluster;

    public KubernetesProvisioner Provisioner { get; }

    public DeployerOptions Options { get; }

    /// <summary>The token this bed's provisioner puts in the model-fetch Secret.</summary>
    internal Security.ModelFetchToken FetchToken { get; }

    public static async Task<KubernetesTestBed> StartAsync(FakeKubernetesApi? api = null, string installation = Installation, Action<DeployerOptions>? configure = null)
    {
        var ownsApi = api is null;
        api ??= await FakeKubernetesApi.StartAsync();
        var options = new DeployerOptions
        {
            Provisioner = ProvisionerKind.Kubernetes,
            Kubernetes = new KubernetesProvisionerOptions
            {
                ReferenceImage = ReferenceImage,
                ModelVolumeClaim = "model-files",
                GpuNodeSelector = new() { ["nvidia.com/gpu.present"] = "true" },
                WatchBackoff = TimeSpan.FromMilliseconds(50),
                MaxWatchBackoff = TimeSpan.FromMilliseconds(200),
            },
        };
        configure?.Invoke(options);
        var wrapped = Microsoft.Extensions.Options.Options.Create(options);

        // The same kubeconfig parsing production uses when KUBECONFIG names this file.
        var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(api.KubeConfigPath));
        var manifests = new ReplicaSetManifests(wrapped);
        var fetchToken = new Security.ModelFetchToken(wrapped);
        var fetchSecret = new ModelFetchSecret(client, manifests, fetchToken, wrapped);
        var provisioner = new KubernetesProvisioner(
            client, manifests, fetchSecret, new KeptInstallationIdentity(installation), wrapped, TimeProvider.System, NullLogger<KubernetesProvisioner>.Instance);
        try
        {
            await provisioner.StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            await provisioner.StopAsync(CancellationToken.None);
            provisioner.Dispose();
            fetchSecret.Dispose();
            if (ownsApi)
            {
                await api.DisposeAsync();
            }

            throw;
        }

        return new KubernetesTestBed(api, provisioner, fetchSecret, fetchToken, options, ownsApi);
    }

    public static ReplicaSetSpec Set(string deployment, VariantSpec spec, string variant = VariantNames.Stable) =>
        new(Specs.ReplicaSetId(deployment, spec), deployment, variant, spec);

    public static VariantSpec Image(string image = "registry.example/team/model:2", int replicas = 1) => new() { Image = image, Replicas = replicas };

    public static string ServiceAddress(string replicaSet) => $"http://{replicaSet}.models.svc.cluster.local:8080";

    /// <summary>An installation whose store already holds <paramref name="id"/>.</summary>
    private sealed class KeptInstallationIdentity(string id) : State.IInstallationIdentity
    {
        public Task<string> GetAsync(CancellationToken cancellationToken) => Task.FromResult(id);
    }

    public async ValueTask DisposeAsync()
    {
        await Provisioner.StopAsync(CancellationToken.None);
        Provisioner.Dispose();
        _fetchSecret.Dispose();
        if (_ownsApi)
        {
            await Api.DisposeAsync();
        }
    }
}
