using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Mirroring;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Rollouts.Gates;

/// <summary>
/// The share of mirrored requests on which the canary answered otherwise than stable, from the
/// gateways' shadow comparison (<see cref="IOutputComparison"/>). The comparison covers everything
/// compared since the canary started, not only the step's window: answers do not drift with load as
/// error ratios and latencies do, and a canary that disagreed early is no better for agreeing later.
/// Too few compared answers hold the step, as too little traffic does.
/// </summary>
internal sealed class DisagreementGate(IDeploymentStore store, IOutputComparison comparison) : IRolloutGate
{
    public string Type => RolloutGateTypes.Disagreement;

    public async Task<GateReading> ReadAsync(RolloutWindow window, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (await store.GetAsync(window.Deployment, cancellationToken) is not { Record: var record })
        {
            return GateReading.NotYet("the deployment is gone");
        }

        var counts = comparison.Read(record);
        var needed = Math.Max(1, window.MinSamples);
        if (counts.Compared < needed)
        {
            var hint = record.Mirror == 0 ? " (no traffic is mirrored: set traffic.mirror above 0)" : string.Empty;
            return GateReading.NotYet($"{counts.Compared} of {needed} mirrored answers compared{hint}");
        }

        return GateReading.Of(OutputComparisons.DisagreementRate(counts) ?? 0);
    }
}
