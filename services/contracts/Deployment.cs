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

/// <summary>
/// Traffic in percent per variant (the two add up to 100), and the share of stable's requests copied
/// to the canary as shadow traffic.
/// </summary>
public sealed record TrafficSplit(int Stable, int Canary, int Mirror = 0);

/// <summary>Observed state, never assumed: what the replicas and the last workflow say.</summary>
public sealed record DeploymentStatus(
    string Phase,
    long Revision,
    long ObservedRevision,
    string Url,
    IReadOnlyDictionary<string, VariantStatus> Variants,
    IReadOnlyList<Condition> Conditions,
    RolloutStatus? Rollout = null);

/// <summary>
/// Replicas of one variant: desired, ready, where they answer and where their logs are; and, in the
/// answers of <c>GET</c>, the <see cref="Phases"/> it went through from its model to its first route.
/// </summary>
public sealed record VariantStatus(
    int Replicas,
    int ReadyReplicas,
    IReadOnlyList<string> Endpoints,
    int Restarts,
    IReadOnlyList<string> Logs,
    IReadOnlyList<VariantPhase>? Phases = null);

/// <summary>
/// One step from a model to its first prediction, as the deployer observed it: <see cref="Phase"/>
/// (one of <see cref="VariantPhaseNames"/>), when it happened, and the seconds since the step before
/// (absent for the first, and when the step before came later: a replica replaced after routing).
/// </summary>
public sealed record VariantPhase(string Phase, DateTimeOffset At, double? Seconds);

/// <summary>The steps of <see cref="VariantPhase"/>, in the order they happen.</summary>
public static class VariantPhaseNames
{
    /// <summary>The stored model version was uploaded (a <c>models:/name@sha256:..</c> model).</summary>
    public const string Stored = "stored";

    /// <summary>The revision asking for this variant was accepted (a file or image model, which the deployer did not store).</summary>
    public const string Accepted = "accepted";

    /// <summary>The first of the variant's current replicas started (its process launched, its pod started).</summary>
    public const string ReplicaStarted = "replicaStarted";

    /// <summary>
    /// Every desired replica had passed its readiness probe, which the deployer waits for before
    /// routing: the model loaded and warmed up, which the reference server reports as one.
    /// </summary>
    public const string Ready = "ready";

    /// <summary>The variant's routes were published to the gateways.</summary>
    public const string Routed = "routed";
}

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
