using ModelPlatform.Deployer.Domain;
using ModelPlatform.Deployer.Provisioning;

namespace ModelPlatform.Deployer.Workflows;

/// <summary>Input of <see cref="ReconcileWorkflow"/>: which deployment to bring to its desired state.</summary>
internal sealed record ReconcileInput(string Deployment);

/// <summary>How a reconcile ended.</summary>
internal sealed record ReconcileResult(string Deployment, long Generation, bool Succeeded, string? Error);

/// <summary>What a reconcile must make true, read once from the store at its start.</summary>
/// <remarks>
/// <paramref name="Retiring"/>: the deployment's replica sets that run now and the plan does not keep.
/// <paramref name="Uid"/>: which deployment of that name, for its audit entries (absent in plans journaled before it existed).
/// </remarks>
internal sealed record ReconcilePlan(
    string Deployment, long Generation, bool Deleting, IReadOnlyList<PlannedVariant> Variants, IReadOnlyList<string> Retiring, string? Uid = null);

/// <summary>A variant to run and route to; <paramref name="Routed"/> when its replica set is already in the published routes.</summary>
internal sealed record PlannedVariant(string Name, int Weight, ReplicaSetSpec ReplicaSet, bool Routed);

internal sealed record GenerationInput(string Deployment, long Generation, string? Uid = null);

internal sealed record ProvisionInput(string Deployment, long Generation, ReplicaSetSpec ReplicaSet);

internal sealed record PublishRoutesInput(string Deployment, long Generation, IReadOnlyList<PublishedVariant> Routes);

/// <summary><paramref name="KeepRouted"/>: keep the sets the deployment's published routes name, besides <paramref name="Keep"/>.</summary>
internal sealed record RemoveReplicaSetsInput(string Deployment, long Generation, IReadOnlyList<string> Keep, bool KeepRouted = false);

internal sealed record OutcomeInput(string Deployment, long Generation, bool Succeeded, string? Error, string? Uid = null);
