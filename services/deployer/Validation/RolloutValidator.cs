using System.Globalization;
using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Validation;

/// <summary>Checks a deployment's rollout policy field by field.</summary>
internal static class RolloutValidator
{
    public const int MaxSteps = 20;
    public const int MaxBakeSeconds = 24 * 60 * 60;
    public const long MaxRequests = 1_000_000_000;
    public const int MaxGates = 20;

    public static IEnumerable<(string Field, string Message)> Validate(RolloutSpec? rollout)
    {
        if (rollout is null)
        {
            yield break;
        }

        foreach (var problem in ValidateSteps(rollout.Steps))
        {
            yield return problem;
        }

        if (rollout.BakeSeconds is < 1 or > MaxBakeSeconds)
        {
            yield return ("rollout.bakeSeconds", $"must be 1 to {MaxBakeSeconds} seconds, not {rollout.BakeSeconds}.");
        }

        if (rollout.MinCanaryRequests is < 1 or > MaxRequests)
        {
            yield return ("rollout.minCanaryRequests", $"must be 1 to {MaxRequests}, not {rollout.MinCanaryRequests}.");
        }

        if (rollout.MinStableRequests is < 1 or > MaxRequests)
        {
            yield return ("rollout.minStableRequests", $"must be 1 to {MaxRequests}, not {rollout.MinStableRequests}.");
        }

        if (rollout.OnFailure is { } onFailure && !RolloutFailureActions.All.Contains(onFailure))
        {
            yield return ("rollout.onFailure", $"must be one of {string.Join(", ", RolloutFailureActions.All)}, not '{onFailure}'.");
        }

        foreach (var problem in ValidateGates(rollout.Gates))
        {
            yield return problem;
        }
    }

    private static IEnumerable<(string Field, string Message)> ValidateSteps(IReadOnlyList<int>? steps)
    {
        if (steps is null)
        {
            yield break;
        }

        if (steps.Count is 0 or > MaxSteps || (steps.Count == 1 && steps[0] == 100))
        {
            yield return ("rollout.steps", $"must hold 1 to {MaxSteps} weights, at least one under 100.");
            yield break;
        }

        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i] is < 1 or > 100)
            {
                yield return ($"rollout.steps[{i}]", $"must be a weight from 1 to 100, not {steps[i]}.");
            }
            else if (i > 0 && steps[i] <= steps[i - 1])
            {
                yield return ($"rollout.steps[{i}]", $"must be larger than the step before it ({steps[i - 1]}): weights rise.");
            }
        }
    }

    private static IEnumerable<(string Field, string Message)> ValidateGates(IReadOnlyList<RolloutGateSpec>? gates)
    {
        if (gates is null)
        {
            yield break;
        }

        if (gates.Count > MaxGates)
        {
            yield return ("rollout.gates", $"holds at most {MaxGates} gates.");
            yield break;
        }

        var types = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < gates.Count; i++)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"rollout.gates[{i}]");
            if (gates[i] is not { } gate)
            {
                yield return (path, "must be an object with 'type' and optionally 'max'.");
                continue;
            }

            if (gate.Type is not { } type || !RolloutGateTypes.All.Contains(type))
            {
                yield return ($"{path}.type", $"must be one of {string.Join(", ", RolloutGateTypes.All)}, not '{gate.Type}'.");
                continue;
            }

            if (!types.Add(type))
            {
                yield return ($"{path}.type", $"'{type}' is named by another gate too; each type once.");
            }

            if (gate.Max is { } max && (!double.IsFinite(max) || max < MinMax(type)))
            {
                yield return ($"{path}.max", $"must be a finite number of at least {MinMax(type)} for {type}, not {max}.");
            }
        }
    }

    /// <summary>The least sensible limit: a ratio difference or a disagreement share may be 0 (no worse than stable), a latency ratio no less than 1 (no slower).</summary>
    private static double MinMax(string type) =>
        type is RolloutGateTypes.ServerErrorRatio or RolloutGateTypes.ClientErrorRatio or RolloutGateTypes.Disagreement ? 0 : 1;
}
