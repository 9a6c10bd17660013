using k8s.Models;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.Provisioning.Kubernetes;

/// <summary>
/// The objects of one replica set, as server-side apply documents: a Deployment, a ClusterIP
/// Service in front of it, and an autoscaler when the variant asks for one. Each names only the
/// fields the deployer owns, so applying it again is harmless and other controllers' fields stay.
/// </summary>
internal sealed class ReplicaSetManifests(IOptions<DeployerOptions> options)
{
    public const string ContainerName = "model";
    public const string PortName = "http";
    public const string GrpcPortName = "grpc";

    /// <summary>Where the reference image serves gRPC (its Dockerfile's <c>GRPC_PORT</c>, KServe's port).</summary>
    public const int ReferenceGrpcPort = 8081;
    public const string GpuResource = "nvidia.com/gpu";
    private const string ModelsVolume = "models";
    private const string TempVolume = "tmp";
    private const int StartupProbePeriodSeconds = 5;

    private const string TerminationMessageVariable = "TERMINATION_MESSAGE_PATH";

    /// <summary>The container's default terminationMessagePath, which the kubelet mounts writable even on a read-only root.</summary>
    private const string TerminationMessagePath = "/dev/termination-log";

    private KubernetesProvisionerOptions Settings => options.Value.Kubernetes;

    /// <summary>Set whenever a stored model got past validation (see <see cref="StoredModelSource.WhyUnavailable"/>).</summary>
    private Uri StoreUrl => Settings.ModelStoreUrl ?? throw new InvalidOperationException("A stored model reached the Kubernetes provisioner without Deployer:Kubernetes:ModelStoreUrl.");

    /// <summary>Whether a replica set's pods download their model from the deployer, and so need the model-fetch Secret.</summary>
    public static bool FetchesStoredModel(VariantSpec spec) => StoredModelSource.DigestOf(spec?.Model?.Uri) is not null;

    public static bool Autoscaled(VariantSpec spec) => spec is { MinReplicas: not null, MaxReplicas: not null };

    /// <summary>The container port a variant serves gRPC on: the reference runtime's, or the one an image declares; null for none.</summary>
    public static int? GrpcPort(VariantSpec spec) => spec.Image is null ? ReferenceGrpcPort : spec.GrpcPort;

    public V1Deployment Deployment(ReplicaSetSpec set, string installation)
    {
        var settings = Settings;
        var spec = set.Spec;
        var gpu = spec.Resources?.Gpu ?? 0;
        return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = Metadata(set, installation),
            Spec = new V1DeploymentSpec
            {
                // An autoscaled set leaves the count to its autoscaler: naming it here would take the field back at every apply.
                Replicas = Autoscaled(spec) ? null : spec.Replicas,
                Selector = new V1LabelSelector { MatchLabels = KubernetesLabels.Selector(set) },
                ProgressDeadlineSeconds = RolloutTimings.ProgressDeadlineSeconds(options.Value),
                Strategy = new V1DeploymentStrategy
                {
                    Type = "RollingUpdate",
                    RollingUpdate = new V1RollingUpdateDeployment { MaxUnavailable = 0, MaxSurge = "25%" },
                },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = KubernetesLabels.Selector(set) },
                    Spec = new V1PodSpec
                    {
                        Containers = [Container(set)],
                        TerminationGracePeriodSeconds = settings.TerminationGracePeriodSeconds,
                        AutomountServiceAccountToken = false,
                        SecurityContext = new V1PodSecurityContext
                        {
                            RunAsNonRoot = true,
                            RunAsUser = settings.RunAsUser,
                            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                        },
                        Volumes = Volumes(spec),
                        NodeSelector = gpu > 0 && settings.GpuNodeSelector.Count > 0 ? new Dictionary<string, string>(settings.GpuNodeSelector) : null,
                        Tolerations = gpu > 0 && settings.GpuTolerations.Count > 0
                            ? [.. settings.GpuTolerations.Select(key => new V1Toleration { Key = key, OperatorProperty = "Exists", Effect = "NoSchedule" })]
                            : null,
                    },
                },
            },
        };
    }

    /// <summary>The Secret holding the token replicas of stored models download them with.</summary>
    public V1Secret ModelFetchSecret(string token, string installation) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Metadata = new V1ObjectMeta
        {
            Name = Settings.ModelFetchSecret,
            NamespaceProperty = Settings.Namespace,
            Labels = KubernetesLabels.Shared(installation),
        },
        Type = "Opaque",
        Data = new Dictionary<string, byte[]> { [StoredModelSource.TokenKey] = System.Text.Encoding.UTF8.GetBytes(token) },
    };

    public V1Service Service(ReplicaSetSpec set, string installation) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = Metadata(set, installation),
        Spec = new V1ServiceSpec
        {
            Type = "ClusterIP",
            Selector = KubernetesLabels.Selector(set),
            Ports = GrpcPort(set.Spec) is { } grpc
                ?
                [
                    new V1ServicePort { Name = PortName, Port = Settings.ContainerPort, TargetPort = PortName, Protocol = "TCP" },
                    new V1ServicePort { Name = GrpcPortName, Port = grpc, TargetPort = GrpcPortName, Protocol = "TCP", AppProtocol = "kubernetes.io/h2c" },
                ]
                : [new V1ServicePort { Name = PortName, Port = Settings.ContainerPort, TargetPort = PortName, Protocol = "TCP" }],
        },
    };

    /// <summary>The autoscaler of a variant with <c>minReplicas</c> and <c>maxReplicas</c>, or null.</summary>
    public V2HorizontalPodAutoscaler? Autoscaler(ReplicaSetSpec set, string installation) => Autoscaled(set.Spec) ? new V2HorizontalPodAutoscaler
    {
        ApiVersion = "autoscaling/v2",
        Kind = "HorizontalPodAutoscaler",
        Metadata = Metadata(set, installation),
        Spec = new V2HorizontalPodAutoscalerSpec
        {
            ScaleTargetRef = new V2CrossVersionObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = set.Id },
            MinReplicas = set.Spec.MinReplicas,
            MaxReplicas = set.Spec.MaxReplicas!.Value,
            Metrics =
            [
                new V2MetricSpec
                {
                    Type = "Resource",
                    Resource = new V2ResourceMetricSource
                    {
                        Name = "cpu",
                        Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = Settings.TargetCpuUtilization },
                    },
                },
            ],
        },
    } : null;

    /// <summary>Where the route table sends a variant's traffic: its Service's cluster DNS name.</summary>
    public string ServiceAddress(string replicaSet) =>
        $"http://{replicaSet}.{Settings.Namespace}.svc.{Settings.ClusterDomain}:{Settings.ContainerPort}";

    /// <summary>Where the route table sends a variant's gRPC traffic: its Service's gRPC port, when it has one.</summary>
    public string GrpcServiceAddress(string replicaSet, int port) =>
        $"http://{replicaSet}.{Settings.Namespace}.svc.{Settings.ClusterDomain}:{port}";

    private V1ObjectMeta Metadata(ReplicaSetSpec set, string installation) => new()
    {
        Name = set.Id,
        NamespaceProperty = Settings.Namespace,
        Labels = KubernetesLabels.Object(set, installation),
    };

    private V1Container Container(ReplicaSetSpec set)
    {
        var settings = Settings;
        var spec = set.Spec;
        var env = new List<V1EnvVar>
        {
            new() { Name = "PORT", Value = settings.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            new() { Name = "MODEL_NAME", Value = set.Deployment },
        };
        var ports = new List<V1ContainerPort> { new() { Name = PortName, ContainerPort = settings.ContainerPort, Protocol = "TCP" } };
        if (GrpcPort(spec) is { } grpc)
        {
            env.Add(new V1EnvVar { Name = "GRPC_PORT", Value = grpc.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            ports.Add(new V1ContainerPort { Name = GrpcPortName, ContainerPort = grpc, Protocol = "TCP" });
        }

        var mounts = new List<V1VolumeMount>();
        if (spec.Model is { Uri: { } uri })
        {
            if (StoredModelSource.DigestOf(uri) is { } digest)
            {
                // Downloaded from the deployer before the server reports ready; the token only ever in the Secret.
                env.Add(new V1EnvVar { Name = "MODEL_URI", Value = StoredModelSource.BlobUrl(StoreUrl, digest) });
                env.Add(new V1EnvVar { Name = StoredModelSource.DigestVariable, Value = digest[StoredModelUri.DigestPrefix.Length..] });
                env.Add(new V1EnvVar
                {
                    Name = StoredModelSource.TokenVariable,
                    ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = settings.ModelFetchSecret, Key = StoredModelSource.TokenKey } },
                });
            }
            else
            {
                ModelUri.TryGetLocalPath(uri, requireAbsolute: true, out var path, out _);
                env.Add(new V1EnvVar { Name = "MODEL_URI", Value = path });
                mounts.Add(new V1VolumeMount { Name = ModelsVolume, MountPath = settings.ModelMountPath, ReadOnlyProperty = true });
            }

            // The reference server leaves why it could not start (a digest that does not match, say) where the pod's status shows it.
            if (spec.Env?.ContainsKey(TerminationMessageVariable) != true)
            {
                env.Add(new V1EnvVar { Name = TerminationMessageVariable, Value = TerminationMessagePath });
            }
        }

        if (settings.ReadOnlyRootFilesystem)
        {
            mounts.Add(new V1VolumeMount { Name = TempVolume, MountPath = "/tmp" });
        }

        env.AddRange((spec.Env ?? new Dictionary<string, string>()).OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => new V1EnvVar { Name = pair.Key, Value = pair.Value }));
        return new V1Container
        {
            Name = ContainerName,
            Image = spec.Image ?? settings.ReferenceImage,
            Ports = ports,
            Env = env,
            Resources = Resources(spec.Resources),
            ReadinessProbe = Probe("/v2/health/ready", periodSeconds: 5, failureThreshold: 3),
            LivenessProbe = Probe("/v2/health/live", periodSeconds: 10, failureThreshold: 3),
            // Model loading may take minutes; liveness must not kill a replica that is still loading.
            StartupProbe = Probe("/v2/health/live", periodSeconds: StartupProbePeriodSeconds,
                failureThreshold: Math.Max(1, (RolloutTimings.StartupTimeoutSeconds(options.Value) + StartupProbePeriodSeconds - 1) / StartupProbePeriodSeconds)),
            VolumeMounts = mounts.Count > 0 ? mounts : null,
            SecurityContext = new V1SecurityContext
            {
                RunAsNonRoot = true,
                AllowPrivilegeEscalation = false,
                Privileged = false,
                ReadOnlyRootFilesystem = settings.ReadOnlyRootFilesystem,
                Capabilities = new V1Capabilities { Drop = ["ALL"] },
            },
        };
    }

    private List<V1Volume>? Volumes(VariantSpec spec)
    {
        var volumes = new List<V1Volume>();
        if (spec.Model is not null && StoredModelSource.DigestOf(spec.Model.Uri) is null)
        {
            volumes.Add(new V1Volume
            {
                Name = ModelsVolume,
                PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = Settings.ModelVolumeClaim, ReadOnlyProperty = true },
            });
        }

        if (Settings.ReadOnlyRootFilesystem)
        {
            volumes.Add(new V1Volume { Name = TempVolume, EmptyDir = new V1EmptyDirVolumeSource() });
        }

        return volumes.Count > 0 ? volumes : null;
    }

    private static V1ResourceRequirements? Resources(ResourceSpec? resources)
    {
        if (resources is null)
        {
            return null;
        }

        // Requests equal limits: a model replica's footprint is known, and equal values give the pod Guaranteed QoS when both are set.
        var quantities = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
        if (resources.Cpu is { } cpu)
        {
            quantities["cpu"] = new ResourceQuantity(cpu);
        }

        if (resources.Memory is { } memory)
        {
            quantities["memory"] = new ResourceQuantity(memory);
        }

        var limits = new Dictionary<string, ResourceQuantity>(quantities, StringComparer.Ordinal);
        if (resources.Gpu > 0)
        {
            // Extended resources are limits only; Kubernetes sets the request to match.
            limits[GpuResource] = new ResourceQuantity(resources.Gpu.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return limits.Count == 0 ? null : new V1ResourceRequirements { Requests = quantities.Count > 0 ? quantities : null, Limits = limits };
    }

    private static V1Probe Probe(string path, int periodSeconds, int failureThreshold) => new()
    {
        HttpGet = new V1HTTPGetAction { Path = path, Port = PortName },
        PeriodSeconds = periodSeconds,
        FailureThreshold = failureThreshold,
        TimeoutSeconds = 2,
    };
}
