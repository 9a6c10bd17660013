using k8s;
using k8s.Autorest;
using k8s.Models;
using ModelPlatform.Deployer.Tests.Kubernetes.Fake;

namespace ModelPlatform.Deployer.Tests.Kubernetes;

/// <summary>The fake API server refuses what the real one refuses, through the real client.</summary>
public sealed class FakeKubernetesApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, int, string> Refusals => new()
    {
        { "invalid name", 422, "metadata.name" },
        { "selector not matching the template", 422, "`selector` does not match template `labels`" },
        { "no image", 422, "containers[0].image: Required value" },
        { "stale resourceVersion", 409, "the object has been modified" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task An_apply_the_real_api_refuses_is_refused_with_a_status(string problem, int code, string message)
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(api.KubeConfigPath));
        var name = problem == "invalid name" ? "Not_A_Name" : "valid";
        await Apply(client, Deployment("valid"), "valid");
        var deployment = Deployment(name);
        switch (problem)
        {
            case "selector not matching the template":
                deployment.Spec.Template.Metadata.Labels["app"] = "other";
                break;
            case "no image":
                deployment.Spec.Template.Spec.Containers[0].Image = null;
                break;
            case "stale resourceVersion":
                deployment.Metadata.ResourceVersion = "1";
                break;
        }

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => Apply(client, deployment, name));

        Assert.Equal(code, (int)error.Response.StatusCode);
        Assert.Contains("\"kind\":\"Status\"", error.Response.Content, StringComparison.Ordinal);
        Assert.Contains(message, error.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Creating_an_existing_object_conflicts()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(api.KubeConfigPath));
        await client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("twice"), "models", cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => client.AppsV1.CreateNamespacedDeploymentAsync(Deployment("twice"), "models", cancellationToken: Ct));

        Assert.Equal(409, (int)error.Response.StatusCode);
        Assert.Contains("AlreadyExists", error.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Changing_a_deployment_selector_is_refused_as_immutable()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(api.KubeConfigPath));
        await Apply(client, Deployment("moving"), "moving");
        var moved = Deployment("moving");
        moved.Spec.Selector.MatchLabels["tier"] = "x";
        moved.Spec.Template.Metadata.Labels["tier"] = "x";

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => Apply(client, moved, "moving"));

        Assert.Equal(422, (int)error.Response.StatusCode);
        Assert.Contains("field is immutable", error.Response.Content, StringComparison.Ordinal);
    }

    private static Task<V1Deployment> Apply(k8s.Kubernetes client, V1Deployment deployment, string name) =>
        client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(deployment, V1Patch.PatchType.ApplyPatch), name, "models", fieldManager: "test", force: true, cancellationToken: Ct);

    private static V1Deployment Deployment(string name) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "a" } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "a" } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "nginx:1" }] },
            },
        },
    };
}
