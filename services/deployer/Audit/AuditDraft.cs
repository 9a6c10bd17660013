using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Domain;

namespace ModelPlatform.Deployer.Audit;

/// <summary>
/// An audit entry about to be written with the change it records; its outcome starts
/// <see cref="AuditOutcomes.Pending"/>, unless it is <paramref name="Settled"/> already (a rollout's
/// judgement, say, which no workflow settles later).
/// </summary>
/// <remarks><paramref name="DeploymentUid"/> tells apart deployments that reused a name, so an outcome settles the right one.</remarks>
internal sealed record AuditDraft(
    string Deployment,
    string DeploymentUid,
    string Action,
    string Actor,
    DateTimeOffset Time,
    long Revision,
    DeploymentRequest? Before,
    DeploymentRequest? After,
    AuditOutcome? Settled = null)
{
    /// <summary>The entry for changing <paramref name="before"/> (null: nothing existed) into <paramref name="after"/>.</summary>
    public static AuditDraft For(string action, string actor, DateTimeOffset time, DeploymentRecord? before, DeploymentRecord after) => new(
        after.Name,
        after.Uid,
        action,
        actor,
        time,
        after.Generation,
        before?.ToRequest(),
        after.Deleting ? null : after.ToRequest());
}
