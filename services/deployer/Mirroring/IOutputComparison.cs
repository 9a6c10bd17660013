using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Domain;

namespace ModelPlatform.Deployer.Mirroring;

/// <summary>
/// The port to the shadow comparison of a deployment's canary: what the gateways compared of the
/// canary's answers with stable's on mirrored requests, summed over every gateway. A rollout's
/// <c>disagreement</c> gate reads it: <see cref="OutputComparisons.DisagreementRate"/> of
/// <see cref="Read"/>, once <see cref="ComparisonCounts.Compared"/> reaches the gate's minimum.
/// </summary>
internal interface IOutputComparison
{
    /// <summary>
    /// The comparison of <paramref name="record"/>'s current canary (<see cref="ComparisonCounts.Canary"/>
    /// names its replica set): all zeros without a canary, until a gateway reports on it, and again
    /// once the canary is replaced or the deployment is created anew.
    /// </summary>
    ComparisonCounts Read(DeploymentRecord record);
}
