using System.Text;
using System.Text.Json.Nodes;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Tests.Kubernetes.Fake;

namespace ModelPlatform.Deployer.Tests.Kubernetes;

/// <summary>
/// Pods of a stored model on the cluster: they download it from the deployer with the token of the
/// model-fetch Secret and check its digest, and mount no model volume.
/// </summary>
public sealed class StoredModelPodTests
{
    private const string Digest = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_stored_model_variant_downloads_from_the_deployer_with_the_secrets_token_and_the_digest()
    {
        await using var bed = await KubernetesTestBed.StartAsync(configure: options =>
            options.Kubernetes.ModelStoreUrl = new Uri("http://deployer.model-platform.svc.cluster.local/"));
        var set = KubernetesTestBed.Set("fraud", new VariantSpec { Model = new ModelSource { Format = "onnx", Uri = StoredModelUri.Pinned("fraud", Digest) } });

        await bed.Provisioner.EnsureAsync(set, Ct);

        var deployment = bed.Cluster.Get(Resource.Deployments, set.Id)!;
        var podSpec = deployment["spec"]!["template"]!["spec"]!;
        var container = podSpec["containers"]![0]!;
        Assert.Equal(KubernetesTestBed.ReferenceImage, (string?)container["image"]);
        var env = container["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => e!);
        Assert.Equal($"http://deployer.model-platform.svc.cluster.local/v1/models/blobs/{Digest}", (string?)env["MODEL_URI"]["value"]);
        Assert.Equal(Digest["sha256:".Length..], (string?)env["MODEL_SHA256"]["value"]);
        Assert.Null(env["MODEL_TOKEN"]["value"]);
        Assert.Equal("model-fetch-token", (string?)env["MODEL_TOKEN"]["valueFrom"]!["secretKeyRef"]!["name"]);
        Assert.Equal("token", (string?)env["MODEL_TOKEN"]["valueFrom"]!["secretKeyRef"]!["key"]);
        Assert.Equal("/dev/termination-log", (string?)env["TERMINATION_MESSAGE_PATH"]["value"]);
        Assert.DoesNotContain(podSpec["volumes"]?.AsArray() ?? [], v => v!["persistentVolumeClaim"] is not null);
        Assert.DoesNotContain(container["volumeMounts"]?.AsArray() ?? [], m => (string?)m!["mountPath"] == "/models");

        // The token is in the Secret, never in the pod spec, and the Secret is written before any pod could need it.
        var token = bed.FetchToken.Value!;
        Assert.DoesNotContain(token, deployment.ToJsonString(), StringComparison.Ordinal);
        var secret = bed.Cluster.Get(Resource.Secrets, "model-fetch-token")!;
        Assert.Equal(token, Encoding.UTF8.GetString(Convert.FromBase64String((string)secret["data"]!["token"]!)));
        Assert.Equal(KubernetesTestBed.Installation, (string?)secret["metadata"]!["labels"]!["modelplatform.io/installation"]);
        var patches = bed.Api.Requests.Where(r => r.StartsWith("PATCH ", StringComparison.Ordinal)).ToList();
        Assert.True(patches.FindIndex(r => r.Contains("/secrets/model-fetch-token", StringComparison.Ordinal))
            < patches.FindIndex(r => r.Contains("/deployments/" + set.Id, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_secret_is_written_once_per_start_and_not_at_all_for_file_and_image_variants()
    {
        await using var bed = await KubernetesTestBed.StartAsync(configure: options =>
            options.Kubernetes.ModelStoreUrl = new Uri("http://deployer.model-platform.svc.cluster.local"));

        await bed.Provisioner.EnsureAsync(KubernetesTestBed.Set("files", new VariantSpec { Model = new ModelSource { Format = "onnx", Uri = "/models/a.onnx" } }), Ct);
        await bed.Provisioner.EnsureAsync(KubernetesTestBed.Set("images", KubernetesTestBed.Image()), Ct);
        Assert.Null(bed.Cluster.Get(Resource.Secrets, "model-fetch-token"));

        await bed.Provisioner.EnsureAsync(KubernetesTestBed.Set("one", new VariantSpec { Model = new ModelSource { Format = "onnx", Uri = StoredModelUri.Pinned("one", Digest) } }), Ct);
        await bed.Provisioner.EnsureAsync(KubernetesTestBed.Set("two", new VariantSpec { Model = new ModelSource { Format = "onnx", Uri = StoredModelUri.Pinned("two", Digest) } }), Ct);

        Assert.Single(bed.Api.Requests, r => r.StartsWith("PATCH ", StringComparison.Ordinal) && r.Contains("/secrets/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_secret_the_api_refuses_fails_the_apply_with_the_api_message_and_is_tried_again_next_time()
    {
        await using var bed = await KubernetesTestBed.StartAsync(configure: options =>
            options.Kubernetes.ModelStoreUrl = new Uri("http://deployer.model-platform.svc.cluster.local"));
        bed.Api.Fail("PATCH", "/secrets/", 403, "Forbidden", "secrets \"model-fetch-token\" is forbidden: User cannot patch resource \"secrets\"", times: 1);
        var set = KubernetesTestBed.Set("denied", new VariantSpec { Model = new ModelSource { Format = "onnx", Uri = StoredModelUri.Pinned("denied", Digest) } });

        var error = await Assert.ThrowsAnyAsync<Exception>(() => bed.Provisioner.EnsureAsync(set, Ct));

        Assert.Contains("apply Secret model-fetch-token", error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot patch resource \"secrets\"", error.Message, StringComparison.Ordinal);
        Assert.Null(bed.Cluster.Get(Resource.Deployments, set.Id));
        await bed.Provisioner.EnsureAsync(set, Ct);
        Assert.NotNull(bed.Cluster.Get(Resource.Secrets, "model-fetch-token"));
        Assert.NotNull(bed.Cluster.Get(Resource.Deployments, set.Id));
    }
}
