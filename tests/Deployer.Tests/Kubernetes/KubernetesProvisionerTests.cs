using System.Text.Json.Nodes;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Tests.Kubernetes.Fake;

namespace ModelPlatform.Deployer.Tests.Kubernetes;

/// <summary>The Kubernetes provisioner against the fake API server: what it writes, what it observes, how it fails.</summary>
public sealed class KubernetesProvisionerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Ensure_applies_a_deployment_and_a_service_the_api_accepts()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var spec = new VariantSpec
        {
            Image = "registry.example/team/resnet:3",
            Replicas = 2,
            Resources = new ResourceSpec { Cpu = "500m", Memory = "1Gi", Gpu = 1 },
            Env = new Dictionary<string, string> { ["THREADS"] = "4" },
        };
        var set = KubernetesTestBed.Set("resnet", spec);

        await bed.Provisioner.EnsureAsync(set, Ct);

        var deployment = bed.Cluster.Get(Resource.Deployments, set.Id)!;
        var labels = deployment["metadata"]!["labels"]!.AsObject();
        Assert.Equal("model-deployer", (string?)labels["app.kubernetes.io/managed-by"]);
        Assert.Equal(set.Id, (string?)labels["app.kubernetes.io/instance"]);
        Assert.Equal("resnet", (string?)labels["app.kubernetes.io/name"]);
        Assert.Equal("inference", (string?)labels["app.kubernetes.io/component"]);
        Assert.Equal("model-platform", (string?)labels["app.kubernetes.io/part-of"]);
        Assert.Equal("resnet", (string?)labels["modelplatform.io/model"]);
        Assert.Equal("stable", (string?)labels["modelplatform.io/variant"]);
        Assert.Equal(set.Id["resnet-".Length..], (string?)labels["modelplatform.io/revision"]);
        var podSpec = deployment["spec"]!["template"]!["spec"]!;
        Assert.Equal(2, (int?)deployment["spec"]!["replicas"]);
        Assert.Equal(0, (int?)deployment["spec"]!["strategy"]!["rollingUpdate"]!["maxUnavailable"]);
        var container = podSpec["containers"]![0]!;
        Assert.Equal("registry.example/team/resnet:3", (string?)container["image"]);
        Assert.Equal(["PORT=8080", "MODEL_NAME=resnet", "THREADS=4"], container["env"]!.AsArray().Select(e => $"{e!["name"]}={e["value"]}"));
        Assert.Equal("500m", (string?)container["resources"]!["limits"]!["cpu"]);
        Assert.Equal("1Gi", (string?)container["resources"]!["requests"]!["memory"]);
        Assert.Equal("1", (string?)container["resources"]!["limits"]!["nvidia.com/gpu"]);
        Assert.Equal("/v2/health/ready", (string?)container["readinessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("/v2/health/live", (string?)container["livenessProbe"]!["httpGet"]!["path"]);
        Assert.True((bool?)container["securityContext"]!["runAsNonRoot"]);
        Assert.False((bool?)container["securityContext"]!["allowPrivilegeEscalation"]);
        Assert.True((bool?)container["securityContext"]!["readOnlyRootFilesystem"]);
        Assert.Equal("ALL", (string?)container["securityContext"]!["capabilities"]!["drop"]![0]);
        Assert.Equal(30, (int?)podSpec["terminationGracePeriodSeconds"]);
        Assert.Equal("true", (string?)podSpec["nodeSelector"]!["nvidia.com/gpu.present"]);
        Assert.Equal("nvidia.com/gpu", (string?)podSpec["tolerations"]![0]!["key"]);

        var service = bed.Cluster.Get(Resource.Services, set.Id)!;
        Assert.Equal("ClusterIP", (string?)service["spec"]!["type"]);
        Assert.Equal(8080, (int?)service["spec"]!["ports"]![0]!["port"]);
        Assert.True(JsonNode.DeepEquals(service["spec"]!["selector"], deployment["spec"]!["selector"]!["matchLabels"]));
        Assert.Null(bed.Cluster.Get(Resource.Autoscalers, set.Id));

        // Server-side apply, by our field manager, taking fields over.
        var applies = bed.Api.Requests.Where(r => r.StartsWith("PATCH", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, applies.Count);
        Assert.All(applies, r => Assert.Contains("fieldManager=model-deployer", r, StringComparison.Ordinal));
        Assert.All(applies, r => Assert.Contains("force=true", r, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_model_variant_runs_the_reference_image_with_the_model_volume_mounted_read_only()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var set = KubernetesTestBed.Set("addmul", new VariantSpec { Model = new ModelSource { Format = "onnx", Uri = "file:///models/add-mul.onnx" } });

        await bed.Provisioner.EnsureAsync(set, Ct);

        var podSpec = bed.Cluster.Get(Resource.Deployments, set.Id)!["spec"]!["template"]!["spec"]!;
        var container = podSpec["containers"]![0]!;
        Assert.Equal(KubernetesTestBed.ReferenceImage, (string?)container["image"]);
        Assert.Contains(container["env"]!.AsArray(), e => (string?)e!["name"] == "MODEL_URI" && (string?)e["value"] == "/models/add-mul.onnx");
        var mount = container["volumeMounts"]!.AsArray().Single(m => (string?)m!["mountPath"] == "/models")!;
        Assert.True((bool?)mount["readOnly"]);
        var volume = podSpec["volumes"]!.AsArray().Single(v => (string?)v!["name"] == (string?)mount["name"])!;
        Assert.Equal("model-files", (string?)volume["persistentVolumeClaim"]!["claimName"]);
        Assert.True((bool?)volume["persistentVolumeClaim"]!["readOnly"]);
    }

    [Fact]
    public async Task A_variant_is_ready_when_the_watch_reports_its_replicas_ready_and_routes_to_its_service()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var set = KubernetesTestBed.Set("ready", KubernetesTestBed.Image(replicas: 2));
        await bed.Provisioner.EnsureAsync(set, Ct);

        var waiting = bed.Provisioner.WaitUntilReadyAsync(set.Id, Patience, Ct);
        Assert.False(waiting.IsCompleted);
        Assert.Empty(bed.Provisioner.Observe(set.Id)!.ReadyEndpoints);
        bed.Cluster.MakeReady(set.Id);
        var readiness = await waiting;

        Assert.True(readiness.Ready, readiness.Reason);
        var observed = await ObserveUntilAsync(bed, set.Id, o => o.Ready == 2);
        Assert.Equal("ready", observed.Deployment);
        Assert.Equal(2, observed.Desired);
        Assert.Equal([KubernetesTestBed.ServiceAddress(set.Id)], observed.ReadyEndpoints);
        Assert.Contains(set.Id, bed.Provisioner.ReplicaSets());
    }

    [Fact]
    public async Task Scaling_keeps_the_set_and_waits_for_the_controller_to_observe_the_new_generation()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var set = KubernetesTestBed.Set("scale", KubernetesTestBed.Image(replicas: 2));
        await bed.Provisioner.EnsureAsync(set, Ct);
        bed.Cluster.MakeReady(set.Id);
        Assert.True((await bed.Provisioner.WaitUntilReadyAsync(set.Id, Patience, Ct)).Ready);

        bed.Cluster.ControllerPaused = true;
        var smaller = set with { Spec = set.Spec with { Replicas = 1 } };
        Assert.Equal(set.Id, smaller.Id);
        await bed.Provisioner.EnsureAsync(smaller, Ct);

        // Two ready replicas are more than one, but the controller has not seen the change yet.
        var stale = await bed.Provisioner.WaitUntilReadyAsync(set.Id, TimeSpan.FromSeconds(1), Ct);
        Assert.False(stale.Ready);
        Assert.Contains("not observed the latest generation", stale.Reason, StringComparison.Ordinal);

        bed.Cluster.Reconcile(set.Id);
        Assert.True((await bed.Provisioner.WaitUntilReadyAsync(set.Id, Patience, Ct)).Ready);
        Assert.Equal(1, (int?)bed.Cluster.Get(Resource.Deployments, set.Id)!["spec"]!["replicas"]);
        Assert.Equal(2, (long?)bed.Cluster.Get(Resource.Deployments, set.Id)!["metadata"]!["generation"]);
    }

    [Fact]
    public async Task A_stalled_rollout_fails_with_the_reason_the_api_gives()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var set = KubernetesTestBed.Set("stall", KubernetesTestBed.Image());
        await bed.Provisioner.EnsureAsync(set, Ct);

        var waiting = bed.Provisioner.WaitUntilReadyAsync(set.Id, Patience, Ct);
        bed.Cluster.Stall(set.Id);
        var readiness = await waiting;

        Assert.False(readiness.Ready);
        Assert.Contains("ProgressDeadlineExceeded", readiness.Reason, StringComparison.Ordinal);
        Assert.Contains("has timed out progressing", readiness.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(403, "Forbidden", "deployments.apps \"x\" is forbidden: User \"system:serviceaccount:models:deployer\" cannot patch resource \"deployments\"")]
    [InlineData(409, "Conflict", "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas")]
    [InlineData(422, "Invalid", "Deployment.apps \"x\" is invalid: spec.template.spec.containers[0].image: Required value")]
    [InlineData(500, "InternalError", "etcdserver: request timed out")]
    public async Task An_api_refusal_becomes_a_provisioning_error_with_the_api_message(int code, string reason, string message)
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        bed.Api.Fail("PATCH", "/deployments/", code, reason, message);
        var set = KubernetesTestBed.Set("refused", KubernetesTestBed.Image());

        var error = await Assert.ThrowsAsync<ProvisioningException>(() => bed.Provisioner.EnsureAsync(set, Ct));

        Assert.Contains($"({code} {reason})", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains("Deployment " + set.Id, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_api_becomes_a_provisioning_error()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var set = KubernetesTestBed.Set("gone", KubernetesTestBed.Image());
        await bed.Api.DisposeAsync();

        var error = await Assert.ThrowsAsync<ProvisioningException>(() => bed.Provisioner.EnsureAsync(set, Ct));

        Assert.Contains("could not be reached", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remove_deletes_every_object_of_the_set_and_tolerates_what_is_already_gone()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var set = KubernetesTestBed.Set("remove", new VariantSpec
        {
            Image = "registry.example/team/model:2",
            Replicas = 2,
            MinReplicas = 1,
            MaxReplicas = 4,
            Resources = new ResourceSpec { Cpu = "1" },
        });
        await bed.Provisioner.EnsureAsync(set, Ct);
        Assert.NotNull(bed.Cluster.Get(Resource.Autoscalers, set.Id));

        await bed.Provisioner.RemoveAsync(set.Id, Ct);
        await bed.Provisioner.RemoveAsync(set.Id, Ct);

        Assert.Null(bed.Cluster.Get(Resource.Deployments, set.Id));
        Assert.Null(bed.Cluster.Get(Resource.Services, set.Id));
        Assert.Null(bed.Cluster.Get(Resource.Autoscalers, set.Id));
        Assert.Empty(bed.Cluster.List(Resource.Pods));
        Assert.Null(bed.Provisioner.Observe(set.Id));
        Assert.DoesNotContain(set.Id, bed.Provisioner.ReplicaSets());
        Assert.Contains(bed.Api.Requests, r => r.StartsWith("DELETE", StringComparison.Ordinal) && r.Contains("propagationPolicy=Background", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_autoscaled_variant_gets_an_autoscaler_and_leaves_the_replica_count_to_it()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var set = KubernetesTestBed.Set("auto", new VariantSpec
        {
            Image = "registry.example/team/model:2",
            Replicas = 2,
            MinReplicas = 2,
            MaxReplicas = 5,
            Resources = new ResourceSpec { Cpu = "1" },
        });

        await bed.Provisioner.EnsureAsync(set, Ct);

        var autoscaler = bed.Cluster.Get(Resource.Autoscalers, set.Id)!;
        Assert.Equal(2, (int?)autoscaler["spec"]!["minReplicas"]);
        Assert.Equal(5, (int?)autoscaler["spec"]!["maxReplicas"]);
        Assert.Equal(set.Id, (string?)autoscaler["spec"]!["scaleTargetRef"]!["name"]);
        Assert.Equal(80, (int?)autoscaler["spec"]!["metrics"]![0]!["resource"]!["target"]!["averageUtilization"]);
        var apply = bed.Api.Requests.First(r => r.StartsWith("PATCH", StringComparison.Ordinal) && r.Contains("/deployments/", StringComparison.Ordinal));
        Assert.Contains("/apis/apps/v1/namespaces/models/deployments/" + set.Id, apply, StringComparison.Ordinal);

        // What the autoscaler set survives the next apply: the deployer does not own the field.
        var scaled = bed.Cluster.Get(Resource.Deployments, set.Id)!;
        scaled["spec"]!["replicas"] = 4;
        scaled["metadata"]!.AsObject().Remove("resourceVersion");
        bed.Cluster.Apply(Resource.Deployments, set.Id, scaled);
        await bed.Provisioner.EnsureAsync(set, Ct);
        Assert.Equal(4, (int?)bed.Cluster.Get(Resource.Deployments, set.Id)!["spec"]!["replicas"]);
    }

    [Fact]
    public async Task Pod_logs_are_read_through_the_api()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var set = KubernetesTestBed.Set("logs", KubernetesTestBed.Image());
        await bed.Provisioner.EnsureAsync(set, Ct);
        var observed = await ObserveUntilAsync(bed, set.Id, o => o.Replicas.Count == 1);
        var pod = observed.Replicas[0].LogPath.Split('/')[^1];
        bed.Cluster.SetLog(pod, "loading\nloaded\nserving");

        var tail = await bed.Provisioner.ReadLogAsync(set.Id, 0, 2, Ct);
        var missing = await bed.Provisioner.ReadLogAsync(set.Id, 1, 2, Ct);

        Assert.Equal("loaded\nserving", tail);
        Assert.Null(missing);
        Assert.Contains(bed.Api.Requests, r => r.Contains($"/pods/{pod}/log", StringComparison.Ordinal) && r.Contains("tailLines=2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_view_recovers_when_watches_end_and_their_version_expires()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var set = KubernetesTestBed.Set("resync", KubernetesTestBed.Image());
        await bed.Provisioner.EnsureAsync(set, Ct);
        await ObserveUntilAsync(bed, set.Id, o => o.Replicas.Count == 1);

        bed.Api.Fail("GET", "watch=true", 500, "InternalError", "watch refused", times: 2);
        bed.Cluster.Compact();
        bed.Api.EndWatches();
        bed.Cluster.MakeReady(set.Id);

        var readiness = await bed.Provisioner.WaitUntilReadyAsync(set.Id, Patience, Ct);
        Assert.True(readiness.Ready, readiness.Reason);
        Assert.Equal(1, (await ObserveUntilAsync(bed, set.Id, o => o.Ready == 1)).Ready);
    }

    [Fact]
    public async Task Objects_left_by_a_previous_deployer_count_as_sets_from_the_start()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        var orphan = KubernetesTestBed.Set("orphan", KubernetesTestBed.Image());
        await using (var previous = await KubernetesTestBed.StartAsync(api))
        {
            await previous.Provisioner.EnsureAsync(orphan, Ct);
        }

        // A deployer that crashed while deleting left a Service without its Deployment.
        api.Cluster.Delete(Resource.Deployments, orphan.Id, null);
        api.Cluster.Seed(Resource.Services, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = "stray-0123456789", ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "model-deployer", ["modelplatform.io/model"] = "stray" } },
            ["spec"] = new JsonObject { ["ports"] = new JsonArray(new JsonObject { ["port"] = 8080 }) },
        });
        await using var bed = await KubernetesTestBed.StartAsync(api);

        Assert.Contains(orphan.Id, bed.Provisioner.ReplicaSets());
        Assert.Contains("stray-0123456789", bed.Provisioner.ReplicaSets());
        Assert.Equal("stray", bed.Provisioner.Observe("stray-0123456789")!.Deployment);
    }

    [Fact]
    public void Replica_set_ids_of_the_longest_names_are_dns_labels_of_at_most_63_characters()
    {
        var name = "m" + new string('x', Validation.DeploymentValidator.MaxNameLength - 2) + "9";
        var id = Specs.ReplicaSetId(name, KubernetesTestBed.Image());

        Assert.Equal(63, id.Length);
        Assert.True(ManifestRules.IsDns1035Label(id));
    }

    private static async Task<ReplicaSetObservation> ObserveUntilAsync(KubernetesTestBed bed, string set, Func<ReplicaSetObservation, bool> condition)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(Patience);
        while (true)
        {
            if (bed.Provisioner.Observe(set) is { } observed && condition(observed))
            {
                return observed;
            }

            await Task.Delay(20, deadline.Token);
        }
    }
}
