using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Tests.Kubernetes.Fake;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Kubernetes;

/// <summary>A deployer on the Kubernetes provisioner that knows its own address in the cluster (Deployer:Kubernetes:ModelStoreUrl).</summary>
public sealed class KubernetesModelStoreFixture : IAsyncLifetime
{
    public const string StoreUrl = "http://deployer.model-platform.svc.cluster.local";

    public KubernetesDeployerFixture Deployer { get; } = new() { ExtraSettings = { ["Deployer__Kubernetes__ModelStoreUrl"] = StoreUrl } };

    public ValueTask InitializeAsync() => Deployer.InitializeAsync();

    public ValueTask DisposeAsync() => Deployer.DisposeAsync();
}

/// <summary><c>models:/</c> deployments on the cluster, from the API to the pod spec, and the token the pods get.</summary>
public sealed class StoredModelDeployerTests(KubernetesModelStoreFixture fixture) : IClassFixture<KubernetesModelStoreFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private KubernetesDeployerFixture Deployer => fixture.Deployer;

    [Fact]
    public async Task A_models_uri_deployment_gives_its_pods_the_blob_url_the_digest_and_a_token_that_reads_blobs_only()
    {
        var bytes = await File.ReadAllBytesAsync(Deployer.AddMulModel, Ct);
        var version = await StoredModelRequests.UploadAsync(Deployer, "k8s-stored", bytes, Ct);

        using var created = await Deployer.CreateAsync("k8s-stored", new { model = new { format = "onnx", uri = "models:/k8s-stored" }, replicas = 1 }, cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var ready = await Deployer.WaitForReadyAsync("k8s-stored", Ct);

        Assert.Equal(version.Uri, ready.Stable.Model!.Uri);
        var deployment = Assert.Single(Deployer.Api.Cluster.List(Resource.Deployments, d => (string?)d["metadata"]!["labels"]!["modelplatform.io/model"] == "k8s-stored"));
        var env = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => e!);
        Assert.Equal($"{KubernetesModelStoreFixture.StoreUrl}/v1/models/blobs/{version.Digest}", (string?)env["MODEL_URI"]["value"]);
        Assert.Equal(version.Digest["sha256:".Length..], (string?)env["MODEL_SHA256"]["value"]);
        Assert.Equal("model-fetch-token", (string?)env["MODEL_TOKEN"]["valueFrom"]!["secretKeyRef"]!["name"]);

        // What a pod would present: the Secret's token downloads the file from the deployer, and does nothing else.
        var secret = Deployer.Api.Cluster.Get(Resource.Secrets, "model-fetch-token")!;
        var token = Encoding.UTF8.GetString(Convert.FromBase64String((string)secret["data"]!["token"]!));
        using var pod = new HttpClient { BaseAddress = Deployer.BaseAddress };
        pod.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(bytes, await pod.GetByteArrayAsync($"/v1/models/blobs/{version.Digest}", Ct));
        using var deployments = await pod.GetAsync("/v1/deployments", Ct);
        using var models = await pod.GetAsync("/v1/models", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, deployments.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, models.StatusCode);
    }
}

/// <summary>A deployer on the Kubernetes provisioner that has not been told its address in the cluster.</summary>
public sealed class StoredModelRefusalTests(KubernetesDeployerFixture deployer) : IClassFixture<KubernetesDeployerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Store_and_https_uris_are_refused_naming_the_field_and_the_missing_setting_and_nothing_is_fetched()
    {
        await StoredModelRequests.UploadAsync(deployer, "k8s-unreachable", await File.ReadAllBytesAsync(deployer.AddMulModel, Ct), Ct);
        using var remote = new FakeHttpServer(_ => Task.FromResult((200, Encoding.UTF8.GetBytes("a model"))), "application/octet-stream");

        using var stored = await deployer.CreateAsync("k8s-unreachable", new { model = new { format = "onnx", uri = "models:/k8s-unreachable" } }, cancellationToken: Ct);
        using var fetched = await deployer.CreateAsync("k8s-remote",
            new { model = new { format = "onnx", uri = $"{remote.BaseAddress}a.onnx#sha256={new string('a', 64)}" } }, cancellationToken: Ct);

        foreach (var response in new[] { stored, fetched })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await DeployerHarness.ProblemAsync(response, Ct);
            Assert.Contains("Deployer:Kubernetes:ModelStoreUrl", (string?)problem["errors"]!["stable.model.uri"]![0], StringComparison.Ordinal);
        }

        Assert.Empty(remote.Requests);
        Assert.Empty(deployer.Api.Cluster.List(Resource.Deployments, d => (string?)d["metadata"]!["labels"]!["modelplatform.io/model"] is "k8s-unreachable" or "k8s-remote"));
        Assert.Null(await deployer.GetAsync("k8s-unreachable", Ct));
    }
}

/// <summary>Uploads through the API, as a client does.</summary>
internal static class StoredModelRequests
{
    public static async Task<ModelVersion> UploadAsync(DeployerHarness deployer, string name, byte[] bytes, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await deployer.Client.PostAsync($"/v1/models?name={name}", content, cancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        return (await response.Content.ReadFromJsonAsync<ModelVersion>(DeployerHarness.Json, cancellationToken))!;
    }
}
