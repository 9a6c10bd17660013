namespace ModelPlatform.Deployer.Provisioning.Kubernetes;

/// <summary>
/// The labels on what the provisioner creates: Kubernetes' recommended <c>app.kubernetes.io/*</c>
/// set plus the model, variant and revision. Pods (and so the selector) carry only labels that never
/// change for a replica set; the variant label moves when a canary is promoted, so it stays on the
/// Deployment, Service and autoscaler, where changing it restarts nothing. So does the installation
/// label: the objects are selected by it, while their pods, whose template would restart every replica
/// if it changed, are kept to the sets whose Deployment carries it.
/// </summary>
internal static class KubernetesLabels
{
    public const string Name = "app.kubernetes.io/name";
    public const string Instance = "app.kubernetes.io/instance";
    public const string Component = "app.kubernetes.io/component";
    public const string PartOf = "app.kubernetes.io/part-of";
    public const string ManagedBy = "app.kubernetes.io/managed-by";
    public const string Model = "modelplatform.io/model";
    public const string Variant = "modelplatform.io/variant";
    public const string Revision = "modelplatform.io/revision";
    public const string Installation = "modelplatform.io/installation";

    /// <summary>The value of <see cref="ManagedBy"/>, and the server-side apply field manager.</summary>
    public const string Manager = "model-deployer";

    public const string ComponentValue = "inference";
    public const string PartOfValue = "model-platform";

    /// <summary>Selects what any installation of the deployer manages (their pods carry no installation).</summary>
    public const string ManagedSelector = ManagedBy + "=" + Manager;

    /// <summary>Selects the Deployments, Services and autoscalers of one installation.</summary>
    public static string InstallationSelector(string installation) => $"{ManagedSelector},{Installation}={installation}";

    /// <summary>
    /// The labels every model pod carries, whatever its model: what the NetworkPolicy
    /// <c>models-gateway-only</c> in <c>deploy/kubernetes/models-network-policy.yaml</c> selects, so a
    /// change here must change it too (the manifest tests hold the two together).
    /// </summary>
    public static IReadOnlyDictionary<string, string> ModelPods { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [Component] = ComponentValue,
        [PartOf] = PartOfValue,
        [ManagedBy] = Manager,
    };

    /// <summary>The labels of a replica set's pods, also its Deployment's and Service's selector.</summary>
    public static Dictionary<string, string> Selector(ReplicaSetSpec set) => new(ModelPods, StringComparer.Ordinal)
    {
        [Name] = set.Deployment,
        [Instance] = set.Id,
        [Model] = set.Deployment,
    };

    /// <summary>The labels of an installation's object that belongs to no model: the model-fetch Secret.</summary>
    public static Dictionary<string, string> Shared(string installation) => new(StringComparer.Ordinal)
    {
        [PartOf] = PartOfValue,
        [ManagedBy] = Manager,
        [Installation] = installation,
    };

    /// <summary>The labels of the Deployment, Service and autoscaler.</summary>
    public static Dictionary<string, string> Object(ReplicaSetSpec set, string installation) => new(Selector(set), StringComparer.Ordinal)
    {
        [Variant] = set.Variant,
        [Revision] = set.Id[(set.Deployment.Length + 1)..],
        [Installation] = installation,
    };
}
