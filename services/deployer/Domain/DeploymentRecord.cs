using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Domain;

/// <summary>
/// A deployment as stored: the desired state (the last accepted request, at <see cref="Generation"/>),
/// what the workflows have made true so far, and the routes they published.
/// </summary>
internal sealed record DeploymentRecord
{
    public required string Name { get; init; }

    /// <summary>Unique per creation, so a deployment deleted and created again under the same name starts afresh.</summary>
    public required string Uid { get; init; }

    public required VariantSpec Stable { get; init; }

    public VariantSpec? Canary { get; init; }

    /// <summary>The canary's share, 0-100.</summary>
    public int CanaryWeight { get; init; }

    /// <summary>The share (0-100) of stable's requests copied to the canary as shadow traffic.</summary>
    public int Mirror { get; init; }

    /// <summary>The API key hashes the gateway asks of callers; null for an open model.</summary>
    public AccessSpec? Access { get; init; }

    /// <summary>The gateway's per-client rate limit; null for none.</summary>
    public RateLimitSpec? Limits { get; init; }

    /// <summary>How a canary is rolled out by the platform; null: by hand.</summary>
    public RolloutSpec? Rollout { get; init; }

    /// <summary>The rollout of the current (or last) canary: its state, and the operator's pause or abort.</summary>
    public Rollouts.RolloutProgress? RolloutProgress { get; init; }

    /// <summary>The revision: grows with every accepted change of the desired state.</summary>
    public long Generation { get; init; } = 1;

    /// <summary>The last generation a workflow started applying.</summary>
    public long StartedGeneration { get; init; }

    /// <summary>The last generation a workflow finished applying (successfully or not).</summary>
    public long ObservedGeneration { get; init; }

    public bool Deleting { get; init; }

    /// <summary>The routes as last published: variant, replica set and weight.</summary>
    public IReadOnlyList<PublishedVariant> Routes { get; init; } = [];

    public IReadOnlyList<Condition> Conditions { get; init; } = [];

    /// <summary>Why the last workflow failed, while the current generation is the one that failed.</summary>
    public string? Failure { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the current generation was accepted; null in records stored before it was kept.</summary>
    public DateTimeOffset? AcceptedAt { get; init; }

    /// <summary>The desired state as the API shows it.</summary>
    public DeploymentRequest ToRequest() => new()
    {
        Name = Name,
        Stable = Stable,
        Canary = Canary,
        Traffic = new TrafficRequest { Canary = CanaryWeight, Mirror = Mirror },
        Access = Access,
        Limits = Limits,
        Rollout = Rollout,
    };

    /// <summary>Whether <paramref name="request"/> asks for exactly what is already desired.</summary>
    public bool Matches(DeploymentRequest request) =>
        Specs.Same(Stable, request.Stable) && Specs.Same(Canary, request.Canary) && CanaryWeight == (request.Traffic?.Canary ?? 0) && Mirror == (request.Traffic?.Mirror ?? 0) &&
        GatewayPolicy.Same(Access, request.Access) && GatewayPolicy.Same(Limits, request.Limits) &&
        Rollouts.RolloutPolicy.Same(Rollout, request.Rollout);

    /// <summary>The replica sets the desired state asks for: stable's, then the canary's if there is one.</summary>
    public IEnumerable<Provisioning.ReplicaSetSpec> DesiredReplicaSets()
    {
        yield return new(Specs.ReplicaSetId(Name, Stable), Name, VariantNames.Stable, Stable);
        if (Canary is { } canary)
        {
            yield return new(Specs.ReplicaSetId(Name, canary), Name, VariantNames.Canary, canary);
        }
    }

    /// <summary>A variant's share of traffic: the canary's weight (0 without a canary), stable the rest.</summary>
    public int WeightOf(string variant)
    {
        var canary = Canary is null ? 0 : CanaryWeight;
        return variant == VariantNames.Canary ? canary : 100 - canary;
    }

    /// <summary>Sets <paramref name="type"/> to <paramref name="status"/>, keeping its transition time if it did not change.</summary>
    public DeploymentRecord WithCondition(string type, string status, string reason, string message, DateTimeOffset now)
    {
        var existing = Conditions.FirstOrDefault(c => c.Type == type);
        var since = existing is not null && existing.Status == status ? existing.LastTransitionTime : now;
        var condition = new Condition(type, status, reason, message, since);
        return this with { Conditions = [.. Conditions.Where(c => c.Type != type), condition] };
    }
}

/// <summary>
/// A variant as published in the route table, with the replica set that serves it; since when that
/// replica set is routed and when the revision that first routed it was accepted (null until published,
/// and in records stored before these were kept).
/// </summary>
internal sealed record PublishedVariant(
    string Variant, int Weight, Provisioning.ReplicaSetSpec ReplicaSet, DateTimeOffset? RoutedAt = null, DateTimeOffset? AcceptedAt = null);
