namespace ModelPlatform.Deployer.Rollouts.Gates;

/// <summary>
/// One kind of gate a rollout step must pass: it measures one number about the canary against
/// stable over the step's window, which the judge compares with the gate's limit (it passes at or
/// under it). A gate reads whatever port it needs: those over per-variant telemetry use the reading
/// the window carries; a gate over another source (mirrored traffic's comparison, say) reads its own
/// port for the same deployment and window. Registered in the container, found by <see cref="Type"/>.
/// </summary>
internal interface IRolloutGate
{
    /// <summary>The type a rollout spec names it by: one of <see cref="Contracts.RolloutGateTypes"/>.</summary>
    string Type { get; }

    /// <summary>The measurement over <paramref name="window"/>, or why there is none yet (too little data: the step waits).</summary>
    Task<GateReading> ReadAsync(RolloutWindow window, CancellationToken cancellationToken);
}

/// <summary>What a gate measured, or (with no <paramref name="Measured"/>) why it could not measure yet.</summary>
internal sealed record GateReading(double? Measured, string? Missing = null)
{
    public static GateReading Of(double measured) => new(measured);

    public static GateReading NotYet(string why) => new(null, why);
}
