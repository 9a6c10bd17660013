using k8s;
using k8s.Models;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Provisioning.Kubernetes;
using ModelPlatform.Deployer.Tests.Kubernetes;
using ModelPlatform.Deployer.Tests.Kubernetes.Fake;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Manifests;

/// <summary>
/// The NetworkPolicies of <c>deploy/kubernetes/models-network-policy.yaml</c>, read as typed objects
/// and evaluated as a network plugin would against the pods that exist: the model pods the Kubernetes
/// provisioner creates on the API stand-in, and the platform's own pods from the manifests. A model
/// pod answers on its model port to the gateway's pods and to nothing else.
/// </summary>
public sealed class NetworkPolicyTests
{
    private const string PolicyFile = "deploy/kubernetes/models-network-policy.yaml";

    /// <summary>A namespace someone else made, labelled as the platform's namespaces are.</summary>
    private const string Impostors = "impostors";

    /// <summary>Set by the API server on every namespace (since Kubernetes 1.21): the namespace's name.</summary>
    private const string NamespaceNameLabel = "kubernetes.io/metadata.name";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void The_policies_live_where_the_provisioner_creates_model_pods()
    {
        var deployer = Load<V1Deployment>("deploy/kubernetes/deployer.yaml").Single().Spec.Template.Spec.Containers.Single();
        var modelsNamespace = deployer.Env.Single(e => e.Name == "Deployer__Kubernetes__Namespace").Value;

        Assert.Equal(2, Policies().Count);
        Assert.All(Policies(), policy => Assert.Equal(modelsNamespace, policy.Metadata.NamespaceProperty));
        Assert.Contains(modelsNamespace, Namespaces().Select(ns => ns.Metadata.Name));
    }

    [Fact]
    public void The_gateway_only_policy_selects_the_labels_every_model_pod_carries()
    {
        var selector = Policy("models-gateway-only").Spec.PodSelector;

        Assert.Equal(KubernetesLabels.ModelPods.OrderBy(pair => pair.Key), selector.MatchLabels.OrderBy(pair => pair.Key));
        Assert.True(selector.MatchExpressions is null or { Count: 0 });
    }

    [Fact]
    public void Every_pod_in_the_models_namespace_refuses_ingress_no_policy_allows()
    {
        var deny = Policy("default-deny-ingress").Spec;

        Assert.Empty(deny.PodSelector.MatchLabels ?? new Dictionary<string, string>());
        Assert.True(deny.PodSelector.MatchExpressions is null or { Count: 0 });
        Assert.Equal(["Ingress"], deny.PolicyTypes);
        Assert.True(deny.Ingress is null or { Count: 0 });
    }

    [Fact]
    public async Task A_model_pod_admits_the_gateways_pods_on_its_model_ports_and_no_other_pod()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var stable = KubernetesTestBed.Set("resnet", KubernetesTestBed.Image(replicas: 2));
        var canary = KubernetesTestBed.Set("resnet", KubernetesTestBed.Image("registry.example/team/model:3") with { GrpcPort = 8001 }, VariantNames.Canary);
        var gpu = KubernetesTestBed.Set("llm", new VariantSpec { Image = "registry.example/team/llm:1", Replicas = 1, Resources = new ResourceSpec { Gpu = 1 } });
        var reference = KubernetesTestBed.Set("addmul", new VariantSpec { Model = new ModelSource { Format = "onnx", Uri = "file:///models/add-mul.onnx" } });
        foreach (var set in new[] { stable, canary, gpu, reference })
        {
            await bed.Provisioner.EnsureAsync(set, Ct);
            bed.Cluster.MakeReady(set.Id);
        }

        var modelPods = bed.Cluster.List(Resource.Pods).Select(pod => KubernetesJson.Deserialize<V1Pod>(pod.ToJsonString())).ToList();
        Assert.Equal(5, modelPods.Count);
        // REST on every pod; gRPC on the reference server's and on the image that declares it.
        Assert.Equal(7, modelPods.Sum(pod => pod.Spec.Containers.Single().Ports.Count));

        // Everyone who might knock: the platform's own pods and the model pods themselves.
        var platformPods = Load<V1Deployment>("deploy/kubernetes/gateway.yaml").Concat(Load<V1Deployment>("deploy/kubernetes/deployer.yaml"))
            .Select(deployment => new PodAt(deployment.Metadata.Name, deployment.Metadata.NamespaceProperty, deployment.Spec.Template.Metadata.Labels));
        var gatewayLabels = Load<V1Deployment>("deploy/kubernetes/gateway.yaml").Single().Spec.Template.Metadata.Labels;
        var callers = platformPods.Concat(modelPods.Select(pod => new PodAt(pod.Metadata.Name, pod.Metadata.NamespaceProperty, pod.Metadata.Labels)))
            // Whoever may create a namespace may label it, and its pods, like the platform's own: only the name the API server sets is the platform's.
            .Append(new PodAt("impostor", Impostors, gatewayLabels))
            .ToList();

        foreach (var pod in modelPods)
        {
            var selecting = Policies().Where(policy => Matches(policy.Spec.PodSelector, pod.Metadata.Labels)).ToList();
            Assert.Contains(selecting, policy => policy.Metadata.Name == "default-deny-ingress");
            foreach (var port in pod.Spec.Containers.Single().Ports)
            {
                var admitted = callers.Where(caller => selecting.Any(policy => Admits(policy, caller, port))).Select(caller => caller.Name);

                Assert.Equal(["gateway"], admitted);
            }
        }
    }

    [Fact]
    public void A_pod_the_provisioner_did_not_create_admits_no_one()
    {
        var stranger = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "debug" };

        var selecting = Policies().Where(policy => Matches(policy.Spec.PodSelector, stranger)).ToList();

        Assert.Equal(["default-deny-ingress"], selecting.Select(policy => policy.Metadata.Name));
    }

    /// <summary>A pod that may open a connection: its name, namespace and labels.</summary>
    private sealed record PodAt(string Name, string Namespace, IDictionary<string, string> Labels);

    /// <summary>Whether <paramref name="policy"/> lets <paramref name="caller"/> reach <paramref name="port"/> of a pod it selects.</summary>
    private static bool Admits(V1NetworkPolicy policy, PodAt caller, V1ContainerPort port) =>
        policy.Spec.Ingress?.Any(rule =>
            (rule.Ports is null or { Count: 0 } || rule.Ports.Any(allowed => (allowed.Protocol ?? "TCP") == (port.Protocol ?? "TCP") && allowed.Port is { } number
                && (number.Value == port.Name || number.Value == port.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture))))
            && (rule.FromProperty is null or { Count: 0 } || rule.FromProperty.Any(peer => Admits(peer, policy.Metadata.NamespaceProperty, caller)))) == true;

    private static bool Admits(V1NetworkPolicyPeer peer, string policyNamespace, PodAt caller)
    {
        Assert.Null(peer.IpBlock);

        // Without a namespace selector, a peer is in the policy's own namespace; without a pod selector, it is every pod there.
        var inNamespace = peer.NamespaceSelector is null
            ? caller.Namespace == policyNamespace
            : Matches(peer.NamespaceSelector, NamespaceLabels(caller.Namespace));
        return inNamespace && (peer.PodSelector is null || Matches(peer.PodSelector, caller.Labels));
    }

    /// <summary>A namespace's labels as the API server holds them: the manifest's, plus its name under <see cref="NamespaceNameLabel"/>.</summary>
    private static Dictionary<string, string> NamespaceLabels(string name)
    {
        var labels = name == Impostors
            ? Namespaces().First().Metadata.Labels
            : Namespaces().Single(ns => ns.Metadata.Name == name).Metadata.Labels;
        return new Dictionary<string, string>(labels ?? new Dictionary<string, string>(), StringComparer.Ordinal) { [NamespaceNameLabel] = name };
    }

    /// <summary>A label selector's meaning: every matchLabels pair and every matchExpressions requirement holds; an empty selector matches everything.</summary>
    private static bool Matches(V1LabelSelector selector, IDictionary<string, string>? labels)
    {
        labels ??= new Dictionary<string, string>();
        return (selector.MatchLabels ?? new Dictionary<string, string>()).All(pair => labels.TryGetValue(pair.Key, out var value) && value == pair.Value)
            && (selector.MatchExpressions ?? []).All(requirement => requirement.OperatorProperty switch
            {
                "In" => labels.TryGetValue(requirement.Key, out var value) && requirement.Values.Contains(value),
                "NotIn" => !labels.TryGetValue(requirement.Key, out var value) || !requirement.Values.Contains(value),
                "Exists" => labels.ContainsKey(requirement.Key),
                "DoesNotExist" => !labels.ContainsKey(requirement.Key),
                _ => throw new InvalidOperationException($"Unknown selector operator '{requirement.OperatorProperty}'."),
            });
    }

    private static V1NetworkPolicy Policy(string name) => Policies().Single(policy => policy.Metadata.Name == name);

    private static List<V1NetworkPolicy> Policies() => [.. Load<V1NetworkPolicy>(PolicyFile)];

    private static List<V1Namespace> Namespaces() => [.. Load<V1Namespace>("deploy/kubernetes/namespaces.yaml")];

    private static IEnumerable<T> Load<T>(string file) =>
        KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(RepositoryPaths.Root, file))).OfType<T>();
}
