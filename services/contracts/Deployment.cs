namespace ModelPlatform.Contracts;

/// <summary>A deployment as the deployer reports it: the stored request and the observed status.</summary>
public sealed record Deployment(
    string Name,
    VariantSpec Stable,
    VariantSpec? Canary,
    TrafficSplit Traffic,
    DeploymentStatus Status,
    AccessSpec? Access = null,
    RateLimitSpec? Limits = null,
    RolloutSpec? Rollout = null);

/// <summary>Traffic in percent per variant; the two add up to 100.</summary>
public sealed record TrafficSplit(int Stable, int Canary);

/// <summary>Observed state, never assumed: what the replicas and the last workflow say.</summary>
public sealed record DeploymentStatus(
    string Phase,
    long Revision,
    long ObservedRevision,
    string Url,
    IReadOnlyDictionary<string, VariantStatus> Variants,
    IReadOnlyList<Condition> Conditions,
    RolloutStatus? Rollout = null);

/// <summary>Replicas of one variant: desired, ready, where they answer and where their logs are.</summary>
public sealed record VariantStatus(
    int Replicas,
    int ReadyReplicas,
    IReadOnlyList<string> Endpoints,
    int Restarts,
    IReadOnlyList<string> Logs);

/// <summary>A Kubernetes-style condition.</summary>
public sealed record Condition(string Type, string Status, string Reason, string Message, DateTimeOffset LastTransitionTime);

/// <summary>The phases a deployment goes through.</summary>
public static class DeploymentPhase
{
    public const string Pending = "Pending";
    public const string Provisioning = "Provisioning";
    public const string Ready = "Ready";
    public const string Degraded = "Degraded";
    public const string Failed = "Failed";
    public const string Deleting = "Deleting";
}

/// <summary>The two variant names.</summary>
public static class VariantNames
{
    public const string Stable = "stable";
    public const string Canary = "canary";
}

/// <summary>The list answer of <c>GET /v1/deployments</c>.</summary>
public sealed record DeploymentList(IReadOnlyList<Deployment> Items);
