using System.Text.Json.Nodes;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Provisioning.Kubernetes;
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
        Assert.Equal(KubernetesTestBed.Installation, (string?)labels["modelplatform.io/installation"]);
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
        // Above the reference server's ShutdownDelay (5 s) plus DrainTimeout (30 s).
        Assert.Equal(45, (int?)podSpec["terminationGracePeriodSeconds"]);

        // The controller's deadline (90% of ReadyTimeout's 300 s) fires before the deployer gives up; the startup budget fits in it.
        Assert.Equal(270, (int?)deployment["spec"]!["progressDeadlineSeconds"]);
        Assert.Equal(270, (int?)container["startupProbe"]!["periodSeconds"] * (int?)container["startupProbe"]!["failureThreshold"]);
        Assert.Equal("true", (string?)podSpec["nodeSelector"]!["nvidia.com/gpu.present"]);
        Assert.Equal("nvidia.com/gpu", (string?)podSpec["tolerations"]![0]!["key"]);

        var service = bed.Cluster.Get(Resource.Services, set.Id)!;
        Assert.Equal("ClusterIP", (string?)service["spec"]!["type"]);
        Assert.Equal(8080, (int?)service["spec"]!["ports"]![0]!["port"]);
        Assert.True(JsonNode.DeepEquals(service["spec"]!["selector"], deployment["spec"]!["selector"]!["matchLabels"]));
        Assert.Equal(KubernetesTestBed.Installation, (string?)service["metadata"]!["labels"]!["modelplatform.io/installation"]);

        // The pod template (and so the selector) carries no installation: changing it would restart every replica.
        Assert.Null(deployment["spec"]!["template"]!["metadata"]!["labels"]!["modelplatform.io/installation"]);
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
    public async Task A_replica_reports_its_pods_start_time_and_when_its_ready_condition_turned_true()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var set = KubernetesTestBed.Set("timed", KubernetesTestBed.Image());
        await bed.Provisioner.EnsureAsync(set, Ct);
        var starting = await ObserveUntilAsync(bed, set.Id, o => o.Replicas.Count == 1 && o.Replicas[0].StartedAt is not null);
        Assert.Null(starting.Replicas[0].ReadyAt);

        bed.Cluster.MakeReady(set.Id);
        var replica = (await ObserveUntilAsync(bed, set.Id, o => o.Ready == 1)).Replicas.Single();

        Assert.Equal(starting.Replicas[0].StartedAt, replica.StartedAt);
        Assert.NotNull(replica.ReadyAt);
        Assert.True(replica.ReadyAt >= replica.StartedAt, $"ready {replica.ReadyAt} before start {replica.StartedAt}");
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
    [InlineData(400, "BadRequest", "the body of the request was in an unknown format")]
    [InlineData(403, "Forbidden", "deployments.apps \"x\" is forbidden: User \"system:serviceaccount:models:deployer\" cannot patch resource \"deployments\"")]
    [InlineData(404, "NotFound", "the server could not find the requested resource")]
    [InlineData(409, "Conflict", "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas")]
    [InlineData(422, "Invalid", "Deployment.apps \"x\" is invalid: spec.template.spec.containers[0].image: Required value")]
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

    [Theory]
    [InlineData(429, "TooManyRequests", "Too many requests, please try again later.", 7)]
    [InlineData(500, "InternalError", "etcdserver: request timed out", null)]
    [InlineData(503, "ServiceUnavailable", "the server is currently unable to handle the request", 2)]
    public async Task A_busy_or_failing_api_is_a_transient_error_with_the_retry_after_it_asked_for(int code, string reason, string message, int? retryAfter)
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        bed.Api.Fail("PATCH", "/deployments/", code, reason, message, retryAfterSeconds: retryAfter);
        var set = KubernetesTestBed.Set("busy", KubernetesTestBed.Image());

        var error = await Assert.ThrowsAsync<ProvisionerUnavailableException>(() => bed.Provisioner.EnsureAsync(set, Ct));

        Assert.Contains($"({code} {reason})", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(retryAfter is { } seconds ? TimeSpan.FromSeconds(seconds) : null, error.RetryAfter);
    }

    [Fact]
    public async Task A_set_whose_apply_got_no_answer_is_known_so_a_delete_removes_it_even_before_the_watch_shows_it()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        bed.Api.Fail("PATCH", "/deployments/", 504, "Timeout", "the server was unable to return a response in the time allotted", times: 1);
        var set = KubernetesTestBed.Set("lost", KubernetesTestBed.Image());

        await Assert.ThrowsAsync<ProvisionerUnavailableException>(() => bed.Provisioner.EnsureAsync(set, Ct));

        // Whether the apply took effect is unknown, so the set counts as the deployment's.
        Assert.Contains(set.Id, bed.Provisioner.ReplicaSets());
        Assert.Equal("lost", bed.Provisioner.Observe(set.Id)?.Deployment);
        await bed.Provisioner.RemoveAsync(set.Id, Ct);
        Assert.DoesNotContain(set.Id, bed.Provisioner.ReplicaSets());
        Assert.Contains(bed.Api.Requests, r => r.StartsWith("DELETE", StringComparison.Ordinal) && r.Contains($"/deployments/{set.Id}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unreachable_api_is_a_transient_error()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var set = KubernetesTestBed.Set("gone", KubernetesTestBed.Image());
        await bed.Api.DisposeAsync();

        var error = await Assert.ThrowsAsync<ProvisionerUnavailableException>(() => bed.Provisioner.EnsureAsync(set, Ct));

        Assert.Contains("could not be reached", error.Message, StringComparison.Ordinal);
        Assert.Null(error.RetryAfter);
    }

    [Fact]
    public async Task A_log_read_the_api_is_too_busy_for_is_reported_as_is()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var set = KubernetesTestBed.Set("busylogs", KubernetesTestBed.Image());
        await bed.Provisioner.EnsureAsync(set, Ct);
        await ObserveUntilAsync(bed, set.Id, o => o.Replicas.Count == 1);
        bed.Api.Fail("GET", "/log", 429, "TooManyRequests", "Too many requests, please try again later.", retryAfterSeconds: 1);

        var error = await Assert.ThrowsAsync<ProvisioningException>(() => bed.Provisioner.ReadLogAsync(set.Id, 0, 10, Ct));

        Assert.Contains("429 TooManyRequests", error.Message, StringComparison.Ordinal);
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
            ["metadata"] = new JsonObject
            {
                ["name"] = "stray-0123456789",
                ["labels"] = new JsonObject
                {
                    ["app.kubernetes.io/managed-by"] = "model-deployer",
                    ["modelplatform.io/model"] = "stray",
                    ["modelplatform.io/installation"] = KubernetesTestBed.Installation,
                },
            },
            ["spec"] = new JsonObject { ["ports"] = new JsonArray(new JsonObject { ["port"] = 8080 }) },
        });
        await using var bed = await KubernetesTestBed.StartAsync(api);

        Assert.Contains(orphan.Id, bed.Provisioner.ReplicaSets());
        Assert.Contains("stray-0123456789", bed.Provisioner.ReplicaSets());
        Assert.Equal("stray", bed.Provisioner.Observe("stray-0123456789")!.Deployment);
    }

    [Fact]
    public async Task Another_installation_in_the_namespace_neither_sees_nor_removes_the_sets_of_this_one()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        await using var ours = await KubernetesTestBed.StartAsync(api);
        var set = KubernetesTestBed.Set("ours", KubernetesTestBed.Image());
        await ours.Provisioner.EnsureAsync(set, Ct);
        await ObserveUntilAsync(ours, set.Id, o => o.Replicas.Count == 1);

        // A deployer on an empty store: a new installation id, so nothing it finds is an orphan of its own.
        await using var other = await KubernetesTestBed.StartAsync(api, installation: "fedcba9876543210fedcba9876543210");

        Assert.DoesNotContain(set.Id, other.Provisioner.ReplicaSets());
        Assert.Null(other.Provisioner.Observe(set.Id));
        Assert.Contains(set.Id, ours.Provisioner.ReplicaSets());
        Assert.Contains(api.Requests, r => r.Contains("labelSelector=", StringComparison.Ordinal)
            && Uri.UnescapeDataString(r).Contains("modelplatform.io/installation=fedcba9876543210fedcba9876543210", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_namespace_the_deployer_may_not_list_stops_the_start_naming_it_and_the_permission()
    {
        await using var api = await FakeKubernetesApi.StartAsync();

        var error = await Assert.ThrowsAsync<KubernetesAccessException>(() =>
            KubernetesTestBed.StartAsync(api, configure: options => options.Kubernetes.Namespace = "elsewhere"));

        Assert.Contains("namespace 'elsewhere'", error.Message, StringComparison.Ordinal);
        Assert.Contains("403 Forbidden", error.Message, StringComparison.Ordinal);
        Assert.Contains("list and watch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_the_api_does_not_accept_stop_the_start()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        api.Fail("GET", "/pods", 401, "Unauthorized", "Unauthorized");

        var error = await Assert.ThrowsAsync<KubernetesAccessException>(() => KubernetesTestBed.StartAsync(api));

        Assert.Contains("401 Unauthorized", error.Message, StringComparison.Ordinal);
        Assert.Contains("credentials", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_first_list_that_keeps_failing_stops_the_start_after_the_initial_sync_timeout()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        api.Fail("GET", "/deployments", 500, "InternalError", "etcdserver: leader changed");

        var error = await Assert.ThrowsAsync<KubernetesAccessException>(() =>
            KubernetesTestBed.StartAsync(api, configure: options => options.Kubernetes.InitialSyncTimeout = TimeSpan.FromSeconds(1)));

        Assert.Contains("within 1 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("leader changed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rollout_is_not_ready_while_old_replicas_are_pending_termination()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        var set = KubernetesTestBed.Set("rolling", KubernetesTestBed.Image(replicas: 2));
        await bed.Provisioner.EnsureAsync(set, Ct);
        bed.Cluster.MakeReady(set.Id);
        Assert.True((await bed.Provisioner.WaitUntilReadyAsync(set.Id, Patience, Ct)).Ready);

        // A change of the deployer's own settings changes the template of the same set: a rolling update.
        bed.Options.Kubernetes.RunAsUser = 2000;
        await bed.Provisioner.EnsureAsync(set, Ct);
        await DeploymentUntilAsync(bed, set.Id, d => (int?)d["status"]?["updatedReplicas"] == 1 && (long?)d["status"]?["observedGeneration"] == 2);
        bed.Cluster.MakeReady(set.Id, pods: 1);

        // Two updated replicas (one ready) and one old ready one: ready and updated counts say 2 of 2; kubectl says no.
        var status = (await DeploymentUntilAsync(bed, set.Id, d => (int?)d["status"]?["updatedReplicas"] == 2))["status"]!;
        Assert.Equal(3, (int?)status["replicas"]);
        Assert.Equal(2, (int?)status["readyReplicas"]);
        var midway = await bed.Provisioner.WaitUntilReadyAsync(set.Id, TimeSpan.FromSeconds(1), Ct);
        Assert.False(midway.Ready);
        Assert.Contains("1 old replicas are pending termination", midway.Reason, StringComparison.Ordinal);

        bed.Cluster.MakeReady(set.Id);
        Assert.True((await bed.Provisioner.WaitUntilReadyAsync(set.Id, Patience, Ct)).Ready);
    }

    [Fact]
    public async Task An_autoscaled_set_is_ready_only_once_its_autoscaler_has_raised_it_to_min_replicas()
    {
        await using var bed = await KubernetesTestBed.StartAsync();
        bed.Cluster.AutoReady = true;
        bed.Cluster.AutoscalerPaused = true;
        var set = KubernetesTestBed.Set("autoready", new VariantSpec
        {
            Image = "registry.example/team/model:2",
            Replicas = 3,
            MinReplicas = 3,
            MaxReplicas = 5,
            Resources = new ResourceSpec { Cpu = "1" },
        });
        await bed.Provisioner.EnsureAsync(set, Ct);

        // The API defaulted replicas to 1 and its one pod is ready, but the autoscaler has not synced yet.
        await DeploymentUntilAsync(bed, set.Id, d => (int?)d["status"]?["availableReplicas"] == 1);
        var early = await bed.Provisioner.WaitUntilReadyAsync(set.Id, TimeSpan.FromSeconds(1), Ct);
        Assert.False(early.Ready);
        Assert.Contains("1 of 3 replicas updated", early.Reason, StringComparison.Ordinal);
        Assert.Equal(3, bed.Provisioner.Observe(set.Id)!.Desired);

        bed.Cluster.SyncAutoscalers();
        Assert.True((await bed.Provisioner.WaitUntilReadyAsync(set.Id, Patience, Ct)).Ready);
    }

    [Theory]
    [InlineData(true, "Unschedulable: 0/5 nodes are available: 5 Insufficient nvidia.com/gpu.")]
    [InlineData(false, "ImagePullBackOff: Back-off pulling image \"registry.example/team/missing:1\"")]
    public async Task A_pod_that_cannot_start_shows_why_and_fails_the_wait_once_stuck_long_enough(bool unschedulable, string reason)
    {
        await using var bed = await KubernetesTestBed.StartAsync(configure: options => options.Kubernetes.StuckPodTimeout = TimeSpan.Zero);
        var set = KubernetesTestBed.Set("stuck", KubernetesTestBed.Image("registry.example/team/missing:1"));
        var message = reason[(reason.IndexOf(':', StringComparison.Ordinal) + 2)..];
        if (unschedulable)
        {
            bed.Cluster.Unschedulable(set.Id, message);
        }
        else
        {
            bed.Cluster.FailImagePull(set.Id, message);
        }

        await bed.Provisioner.EnsureAsync(set, Ct);

        var readiness = await bed.Provisioner.WaitUntilReadyAsync(set.Id, Patience, Ct);
        Assert.False(readiness.Ready);
        Assert.Contains(reason, readiness.Reason, StringComparison.Ordinal);
        Assert.Contains("cannot start", readiness.Reason, StringComparison.Ordinal);
        var replica = Assert.Single((await ObserveUntilAsync(bed, set.Id, o => o.Replicas.Any(r => r.LastExit is not null))).Replicas);
        Assert.Equal(reason, replica.LastExit);
        Assert.False(replica.Ready);
    }

    [Fact]
    public async Task A_stuck_pod_does_not_fail_the_wait_before_the_stuck_pod_timeout()
    {
        await using var bed = await KubernetesTestBed.StartAsync(configure: options => options.Kubernetes.StuckPodTimeout = TimeSpan.FromHours(1));
        var set = KubernetesTestBed.Set("patient", KubernetesTestBed.Image());
        bed.Cluster.Unschedulable(set.Id, "0/5 nodes are available: 5 Insufficient nvidia.com/gpu.");
        await bed.Provisioner.EnsureAsync(set, Ct);
        await ObserveUntilAsync(bed, set.Id, o => o.Replicas.Any(r => r.LastExit is not null));

        var readiness = await bed.Provisioner.WaitUntilReadyAsync(set.Id, TimeSpan.FromSeconds(1), Ct);

        Assert.False(readiness.Ready);
        Assert.DoesNotContain("cannot start", readiness.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Replica_set_ids_of_the_longest_names_are_dns_labels_of_at_most_63_characters()
    {
        var name = "m" + new string('x', Validation.DeploymentValidator.MaxNameLength - 2) + "9";
        var id = Specs.ReplicaSetId(name, KubernetesTestBed.Image());

        Assert.Equal(63, id.Length);
        Assert.True(ManifestRules.IsDns1035Label(id));
    }

    private static async Task<JsonObject> DeploymentUntilAsync(KubernetesTestBed bed, string name, Func<JsonObject, bool> condition)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(Patience);
        while (true)
        {
            if (bed.Cluster.Get(Resource.Deployments, name) is { } deployment && condition(deployment))
            {
                return deployment;
            }

            await Task.Delay(20, deadline.Token);
        }
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
