using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Mirroring;

/// <summary>
/// The port to the shadow comparison of a deployment's canary: what the gateways compared of the
/// canary's answers with stable's on mirrored requests, summed over every gateway. A rollout's
/// <c>disagreement</c> gate reads it: <see cref="OutputComparisons.DisagreementRate"/> of
/// <see cref="Read"/> for the canary it rolls out, with a minimum of <see cref="ComparisonCounts.Compared"/>.
/// </summary>
internal interface IOutputComparison
{
    /// <summary>
    /// The comparison of <paramref name="deployment"/>'s canary replica set <paramref name="canary"/>
    /// (<c>Specs.ReplicaSetId(name, record.Canary)</c>): all zeros until a gateway reports on that
    /// canary, and again for a canary that has been replaced.
    /// </summary>
    ComparisonCounts Read(string deployment, string canary);
}
