using System.Globalization;
using System.Text;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Rollouts.Gates;

namespace ModelPlatform.Deployer.Rollouts;

/// <summary>The judgement of a step's window: its verdict, each gate against its limit, the requests it held, and why, in words.</summary>
internal sealed record StepJudgement(StepVerdict Verdict, IReadOnlyList<RolloutGateStatus> Gates, RolloutWindowStatus Window, string Reason)
{
    /// <summary>
    /// Judges readings taken over one window. Too few requests of either variant, or a gate that
    /// could not measure yet, is not a judgement: the step waits. With enough data, any gate over
    /// its limit fails the step at once (bake time or not); all under their limits pass it, once the
    /// bake time is over.
    /// </summary>
    public static StepJudgement Of(RolloutPolicy policy, RolloutWindow window, IReadOnlyList<(GatePolicy Gate, GateReading Reading)> readings, bool baked)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(window);
        ArgumentNullException.ThrowIfNull(readings);
        var canary = window.Variant(VariantNames.Canary).Requests;
        var stable = window.Variant(VariantNames.Stable).Requests;
        var counts = new RolloutWindowStatus(window.Length.TotalSeconds, canary, policy.MinCanaryRequests, stable, policy.MinStableRequests);
        var traffic = string.Create(CultureInfo.InvariantCulture,
            $"canary {canary} of {policy.MinCanaryRequests} requests, stable {stable} of {policy.MinStableRequests} in the last {window.Length.TotalSeconds:0} s");
        if (canary < policy.MinCanaryRequests || stable < policy.MinStableRequests)
        {
            return new StepJudgement(StepVerdict.NotEnoughTraffic, Unjudged(readings), counts, $"Too little traffic to judge: {traffic}.");
        }

        // A gate over its limit fails the step even while another cannot judge yet: waiting for a
        // slow-to-fill gate must not keep a failing canary at its weight.
        var gates = readings.Select(pair => new RolloutGateStatus(
            pair.Gate.Type, pair.Reading.Measured, pair.Gate.Max, pair.Reading.Measured is { } measured ? measured <= pair.Gate.Max : null)).ToList();
        var summary = Describe(gates.Where(gate => gate.Passed is not null));
        if (gates.Any(gate => gate.Passed == false))
        {
            return new StepJudgement(StepVerdict.Failed, gates, counts, $"Gate failed: {summary} ({traffic}).");
        }

        if (readings.FirstOrDefault(pair => pair.Reading.Measured is null) is { Gate: not null } missing)
        {
            return new StepJudgement(StepVerdict.NotEnoughTraffic, Unjudged(readings), counts, $"Gate {missing.Gate.Type} cannot judge yet: {missing.Reading.Missing}.");
        }

        return baked
            ? new StepJudgement(StepVerdict.Passed, gates, counts, $"Step passed: {summary} ({traffic}).")
            : new StepJudgement(StepVerdict.Baking, gates, counts, $"Baking: {summary} so far ({traffic}).");
    }

    private static List<RolloutGateStatus> Unjudged(IReadOnlyList<(GatePolicy Gate, GateReading Reading)> readings) =>
        [.. readings.Select(pair => new RolloutGateStatus(pair.Gate.Type, pair.Reading.Measured, pair.Gate.Max, null))];

    /// <summary>Each gate as <c>type measured &lt;= max pass</c>.</summary>
    private static string Describe(IEnumerable<RolloutGateStatus> gates)
    {
        var text = new StringBuilder();
        foreach (var gate in gates)
        {
            text.Append(text.Length > 0 ? "; " : string.Empty).Append(CultureInfo.InvariantCulture,
                $"{gate.Type} {gate.Measured:0.####} {(gate.Passed == true ? "<=" : ">")} {gate.Max:0.####} {(gate.Passed == true ? "pass" : "FAIL")}");
        }

        return text.ToString();
    }
}

/// <summary>What a step's judgement says: go on baking, wait for traffic, passed, or failed.</summary>
internal enum StepVerdict
{
    Baking,
    NotEnoughTraffic,
    Passed,
    Failed,
}
