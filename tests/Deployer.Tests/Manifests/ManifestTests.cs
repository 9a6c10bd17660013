using k8s;
using k8s.Models;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Manifests;

/// <summary>
/// Every YAML under <c>deploy/</c> and <c>components/</c> loads into KubernetesClient's typed objects
/// (and the Dapr kinds into ours), and holds what the services rely on. No cluster runs here: this
/// is what can be checked without one.
/// </summary>
public sealed class ManifestTests
{
    private static readonly Dictionary<string, Type> DaprKinds = new()
    {
        ["dapr.io/v1alpha1/Component"] = typeof(DaprComponent),
        ["dapr.io/v1alpha1/Configuration"] = typeof(DaprConfiguration),
        ["dapr.io/v1alpha1/Resiliency"] = typeof(DaprResiliency),
    };

    private static readonly string[] KubernetesDocuments = ["namespaces.yaml", "deployer-rbac.yaml", "models-volume.yaml", "models-network-policy.yaml", "deployer.yaml", "gateway.yaml"];

    public static TheoryData<string> YamlFiles()
    {
        var data = new TheoryData<string>();
        foreach (var folder in new[] { "deploy", "components" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, folder), "*.yaml", SearchOption.AllDirectories).Order())
            {
                data.Add(Path.GetRelativePath(RepositoryPaths.Root, file));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(YamlFiles))]
    public void Every_yaml_file_loads_into_typed_objects(string file)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryPaths.Root, file));
        if (Path.GetFileName(file) == "kustomization.yaml")
        {
            // Not a Kubernetes object: it must list exactly the documents the platform consists of.
            var listed = text.Split('\n').Select(line => line.Trim()).Where(line => line.StartsWith("- ", StringComparison.Ordinal)).Select(line => line[2..]);
            Assert.Equal(KubernetesDocuments.Order(), listed.Order());
            return;
        }

        var objects = KubernetesYaml.LoadAllFromString(text, DaprKinds);

        Assert.NotEmpty(objects);
        Assert.All(objects, item => Assert.IsAssignableFrom<IKubernetesObject<V1ObjectMeta>>(item));
        Assert.All(objects, item => Assert.False(string.IsNullOrEmpty(((IKubernetesObject<V1ObjectMeta>)item).Metadata.Name), file));
    }

    [Fact]
    public void The_deployers_role_grants_only_what_the_kubernetes_provisioner_uses_in_the_models_namespace()
    {
        var role = Load<V1Role>("deploy/kubernetes/deployer-rbac.yaml").Single();
        var binding = Load<V1RoleBinding>("deploy/kubernetes/deployer-rbac.yaml").Single();

        Assert.Equal("models", role.Metadata.NamespaceProperty);
        var grants = role.Rules.SelectMany(rule => rule.ApiGroups.SelectMany(group => rule.Resources.Select(resource => $"{group}/{resource}: {string.Join(",", rule.Verbs.Order())}"))).Order();
        Assert.Equal(
        [
            "/pods/log: get",
            "/pods: list,watch",
            "/secrets: create",
            "/secrets: patch",
            "/services: create,delete,list,patch",
            "apps/deployments: create,delete,list,patch,watch",
            "autoscaling/horizontalpodautoscalers: create,delete,list,patch",
        ], grants);
        Assert.Equal(("ServiceAccount", "deployer", "model-platform"), (binding.Subjects.Single().Kind, binding.Subjects.Single().Name, binding.Subjects.Single().NamespaceProperty));
        // The one Secret it writes is the model-fetch token's, and it patches no other (create cannot be limited by name).
        Assert.Equal(["model-fetch-token"], role.Rules.Single(rule => rule.Resources.Contains("secrets") && rule.Verbs.Contains("patch")).ResourceNames);
        Assert.Equal(role.Metadata.Name, binding.RoleRef.Name);
        Assert.Empty(Load<V1ClusterRole>("deploy/kubernetes/deployer-rbac.yaml"));
    }

    [Fact]
    public void Every_deployment_selects_its_own_pods_runs_non_root_and_probes_health()
    {
        var deployments = Load<V1Deployment>("deploy/kubernetes/deployer.yaml").Concat(Load<V1Deployment>("deploy/kubernetes/gateway.yaml")).ToList();

        Assert.Equal(["deployer", "gateway"], deployments.Select(d => d.Metadata.Name).Order());
        foreach (var deployment in deployments)
        {
            var pod = deployment.Spec.Template;
            Assert.All(deployment.Spec.Selector.MatchLabels, label => Assert.Equal(label.Value, pod.Metadata.Labels[label.Key]));
            Assert.True(pod.Spec.SecurityContext.RunAsNonRoot);
            var container = pod.Spec.Containers.Single();
            Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
            Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
            Assert.Equal("/readyz", container.ReadinessProbe.HttpGet.Path);
            Assert.Equal("/healthz", container.LivenessProbe.HttpGet.Path);
            Assert.Equal("true", pod.Metadata.Annotations["dapr.io/enabled"]);
            Assert.Equal(deployment.Metadata.Name, pod.Metadata.Annotations["dapr.io/app-id"]);
            Assert.Equal("model-platform", pod.Metadata.Annotations["dapr.io/config"]);
        }

        var deployer = deployments.Single(d => d.Metadata.Name == "deployer").Spec.Template.Spec;
        Assert.Equal("deployer", deployer.ServiceAccountName);
        var env = deployer.Containers.Single().Env.ToDictionary(e => e.Name, e => e.Value);
        // One deployer at a time: its route watch signal is in the process.
        Assert.Equal("Recreate", deployments.Single(d => d.Metadata.Name == "deployer").Spec.Strategy.Type);
        Assert.Equal(1, deployments.Single(d => d.Metadata.Name == "deployer").Spec.Replicas);
        // State in the Dapr component that applies transactions whole; the model store's files on a claim of their own.
        Assert.Equal("Dapr", env["Deployer__Runtime"]);
        Assert.Equal(Load<DaprComponent>("components/deployer-state.yaml").Single().Metadata.Name, env["Deployer__Dapr__StateStore"]);
        var data = Assert.Single(Load<V1PersistentVolumeClaim>("deploy/kubernetes/deployer.yaml"));
        var dataVolume = deployer.Volumes.Single(volume => volume.PersistentVolumeClaim?.ClaimName == data.Metadata.Name);
        Assert.Equal(env["Deployer__DataDirectory"], deployer.Containers.Single().VolumeMounts.Single(mount => mount.Name == dataVolume.Name).MountPath);
        Assert.Contains("/tmp", deployer.Containers.Single().VolumeMounts.Select(mount => mount.MountPath));
        // Model pods download stored models from the deployer's Service.
        var service = Load<V1Service>("deploy/kubernetes/deployer.yaml").Single();
        Assert.Equal($"http://{service.Metadata.Name}.{service.Metadata.NamespaceProperty}.svc.cluster.local", env["Deployer__Kubernetes__ModelStoreUrl"]);
        Assert.Equal(80, service.Spec.Ports.Single().Port);
        Assert.Equal("Kubernetes", env["Deployer__Provisioner"]);
        Assert.Equal(Load<V1Role>("deploy/kubernetes/deployer-rbac.yaml").Single().Metadata.NamespaceProperty, env["Deployer__Kubernetes__Namespace"]);
        Assert.Equal(Load<V1PersistentVolumeClaim>("deploy/kubernetes/models-volume.yaml").Single().Metadata.Name, env["Deployer__Kubernetes__ModelVolumeClaim"]);
    }

    [Fact]
    public void The_gateway_watches_the_deployer_through_its_sidecar_and_is_reachable_from_outside()
    {
        var gateway = Load<V1Deployment>("deploy/kubernetes/gateway.yaml").Single().Spec.Template.Spec.Containers.Single();
        var deployerAppId = Load<V1Deployment>("deploy/kubernetes/deployer.yaml").Single().Spec.Template.Metadata.Annotations["dapr.io/app-id"];

        var url = gateway.Env.Single(e => e.Name == "Deployer__Url").Value;
        Assert.Equal($"http://127.0.0.1:3500/v1.0/invoke/{deployerAppId}/method/", url);
        Assert.Equal("LoadBalancer", Load<V1Service>("deploy/kubernetes/gateway.yaml").Single().Spec.Type);
        // gRPC has its own HTTP/2-only port, published beside REST.
        Assert.Equal(gateway.Env.Single(e => e.Name == "Gateway__GrpcPort").Value,
            gateway.Ports.Single(p => p.Name == "grpc").ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains(Load<V1Service>("deploy/kubernetes/gateway.yaml").Single().Spec.Ports, p => p.Name == "grpc" && p.TargetPort.Value == "grpc");
        Assert.Equal("ClusterIP", Load<V1Service>("deploy/kubernetes/deployer.yaml").Single().Spec.Type);
    }

    [Fact]
    public void The_gateways_probes_and_metrics_have_a_port_of_their_own_that_the_public_service_leaves_out()
    {
        var gateway = Load<V1Deployment>("deploy/kubernetes/gateway.yaml").Single().Spec.Template.Spec.Containers.Single();
        var management = gateway.Ports.Single(p => p.Name == "management");

        Assert.Equal(gateway.Env.Single(e => e.Name == "Gateway__ManagementPort").Value, management.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("management", gateway.ReadinessProbe.HttpGet.Port.Value);
        Assert.Equal("management", gateway.LivenessProbe.HttpGet.Port.Value);
        var published = Load<V1Service>("deploy/kubernetes/gateway.yaml").Single().Spec.Ports.Select(p => p.TargetPort.Value).ToList();
        Assert.DoesNotContain("management", published);
        Assert.DoesNotContain(management.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), published);
    }

    [Fact]
    public void No_container_port_is_one_its_Dapr_sidecar_listens_on_in_the_same_pod()
    {
        foreach (var deployment in Load<V1Deployment>("deploy/kubernetes/deployer.yaml").Concat(Load<V1Deployment>("deploy/kubernetes/gateway.yaml")))
        {
            var annotations = deployment.Spec.Template.Metadata.Annotations;
            // daprd's HTTP and gRPC APIs, its internal gRPC, its public health port, and its metrics (9090 unless set).
            var metrics = annotations.TryGetValue("dapr.io/metrics-port", out var set) ? set : "9090";
            int[] sidecar = [3500, 50001, 50002, 3501, int.Parse(metrics, System.Globalization.CultureInfo.InvariantCulture)];
            var container = deployment.Spec.Template.Spec.Containers.Single();

            Assert.All(container.Ports, port => Assert.DoesNotContain(port.ContainerPort, sidecar));
        }
    }

    [Fact]
    public void The_state_stores_serve_workflows_and_only_the_deployer()
    {
        foreach (var file in new[] { "components/statestore.yaml", "components/statestore-postgresql.yaml" })
        {
            var store = Load<DaprComponent>(file).Single();
            Assert.Equal("statestore", store.Metadata.Name);
            Assert.StartsWith("state.", store.Spec.Type, StringComparison.Ordinal);
            Assert.Equal("true", store.Spec.Metadata.Single(item => item.Name == "actorStateStore").Value);
            Assert.Equal(["deployer"], store.Scopes);
            // Secrets are referenced, never written into the component.
            Assert.All(store.Spec.Metadata.Where(item => item.Name.Contains("assword", StringComparison.Ordinal) || item.Name.Contains("connection", StringComparison.OrdinalIgnoreCase)),
                item => Assert.NotNull(item.SecretKeyRef));
        }

        // The deployer's own store: a type the deployer accepts on start (its transactions apply whole), secrets by reference.
        var deployerState = Load<DaprComponent>("components/deployer-state.yaml").Single();
        Assert.Contains(deployerState.Spec.Type, new ModelPlatform.Deployer.Configuration.DaprRuntimeOptions().AtomicStoreTypes);
        Assert.Equal(["deployer"], deployerState.Scopes);
        Assert.NotNull(deployerState.Spec.Metadata.Single(item => item.Name == "connectionString").SecretKeyRef);
        Assert.DoesNotContain(deployerState.Spec.Metadata, item => item.Name == "actorStateStore");

        var resiliency = Load<DaprResiliency>("components/resiliency.yaml").Single();
        Assert.Contains("statestore", resiliency.Spec.Targets.Components.Keys);
        Assert.Contains(deployerState.Metadata.Name, resiliency.Spec.Targets.Components.Keys);
        // The deployer retries its own ETag conflicts from a fresh read; a sidecar retry would repeat a stale write.
        var deployerStatePolicy = resiliency.Spec.Targets.Components[deployerState.Metadata.Name]["outbound"];
        Assert.NotNull(deployerStatePolicy.Timeout);
        Assert.Null(deployerStatePolicy.Retry);
        Assert.Contains("deployer", resiliency.Spec.Targets.Apps.Keys);
        var configuration = Load<DaprConfiguration>("components/configuration.yaml").Single();
        Assert.Equal(Load<V1Deployment>("deploy/kubernetes/gateway.yaml").Single().Spec.Template.Metadata.Annotations["dapr.io/config"], configuration.Metadata.Name);
        Assert.NotNull(configuration.Spec.Tracing?.Otel);
    }

    [Fact]
    public void The_deployer_gets_longer_to_start_than_it_waits_for_its_sidecar()
    {
        var container = Load<V1Deployment>("deploy/kubernetes/deployer.yaml").Single().Spec.Template.Spec.Containers.Single();
        var startup = container.StartupProbe;

        Assert.NotNull(startup);
        Assert.Equal(container.LivenessProbe.HttpGet.Path, startup.HttpGet.Path);
        var budget = TimeSpan.FromSeconds((startup.PeriodSeconds ?? 10) * (startup.FailureThreshold ?? 3));
        // The sidecar wait, then the watches' first list, each to its limit, before the probe may kill it:
        // a deployer slow to start is let finish, or stops itself saying why.
        var waits = new Configuration.DaprRuntimeOptions().SidecarWaitTimeout + new Configuration.KubernetesProvisionerOptions().InitialSyncTimeout;
        Assert.True(budget > waits, $"startup budget {budget}, waits up to {waits}");
    }

    private static IEnumerable<T> Load<T>(string file) =>
        KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(RepositoryPaths.Root, file)), DaprKinds).OfType<T>();
}
