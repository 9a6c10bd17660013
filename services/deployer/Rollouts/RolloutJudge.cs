using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Rollouts.Gates;
using ModelPlatform.Deployer.Telemetry;

namespace ModelPlatform.Deployer.Rollouts;

/// <summary>Reads a step's window (per-variant telemetry once, then each gate) and judges it.</summary>
internal sealed class RolloutJudge(IVariantTelemetry telemetry, IEnumerable<IRolloutGate> gates, IOptions<TelemetryOptions> options)
{
    private readonly Dictionary<string, IRolloutGate> _gates = gates.ToDictionary(gate => gate.Type, StringComparer.Ordinal);

    /// <summary>The gate types registered: what a rollout spec may name.</summary>
    public IReadOnlyCollection<string> Types => _gates.Keys;

    /// <summary>Judges the window of the last <paramref name="sinceStepStarted"/> (held within the telemetry's shortest and longest windows).</summary>
    /// <exception cref="TelemetryUnavailableException">The telemetry could not be read.</exception>
    public async Task<StepJudgement> JudgeAsync(
        string deployment, RolloutPolicy policy, TimeSpan sinceStepStarted, bool baked, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var settings = options.Value;
        var length = TimeSpan.FromSeconds(Math.Ceiling(sinceStepStarted.TotalSeconds));
        length = length < settings.MinWindow ? settings.MinWindow : length > settings.MaxWindow ? settings.MaxWindow : length;
        var window = new RolloutWindow(deployment, length, await telemetry.ReadAsync(deployment, length, cancellationToken), policy.MinCanaryRequests);
        var readings = new List<(GatePolicy, GateReading)>(policy.Gates.Count);
        foreach (var gate in policy.Gates)
        {
            var reading = _gates.TryGetValue(gate.Type, out var measure)
                ? await measure.ReadAsync(window, cancellationToken)
                : GateReading.NotYet($"no gate of type '{gate.Type}' is installed in this deployer");
            readings.Add((gate, reading));
        }

        return StepJudgement.Of(policy, window, readings, baked);
    }
}
