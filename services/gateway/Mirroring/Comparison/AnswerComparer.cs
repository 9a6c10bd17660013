namespace ModelPlatform.Gateway.Mirroring.Comparison;

/// <summary>
/// Compares the canary's outputs with stable's, tensor by tensor: the same names, datatypes and
/// shapes; per element |canary - stable| &lt;= atol + rtol * |stable| (numpy's <c>allclose</c>, stable as
/// the reference; NaN agrees with NaN); <c>BYTES</c> elements must be equal. A floating-point output
/// of shape [batch, classes] with more than one class is a score output, whose arg-max per row must
/// agree too.
/// </summary>
internal static class AnswerComparer
{
    public static PairComparison Compare(IReadOnlyList<OutputTensor> stable, IReadOnlyList<OutputTensor> canary, double absoluteTolerance, double relativeTolerance)
    {
        var canaryByName = new Dictionary<string, OutputTensor>(StringComparer.Ordinal);
        foreach (var output in canary)
        {
            canaryByName.TryAdd(output.Name, output);
        }

        if (canaryByName.Count != canary.Count || stable.Count != canary.Count || stable.Any(output => !canaryByName.ContainsKey(output.Name)))
        {
            return PairComparison.StructureMismatch(
                $"outputs differ: stable has [{string.Join(", ", stable.Select(o => o.Name))}], canary [{string.Join(", ", canary.Select(o => o.Name))}]");
        }

        string? worstOutput = null;
        double maxAbs = 0, maxRel = 0;
        var within = true;
        bool? argmaxAgrees = null;
        foreach (var expected in stable)
        {
            var actual = canaryByName[expected.Name];
            if (expected.Datatype != actual.Datatype)
            {
                return PairComparison.StructureMismatch($"output '{expected.Name}': datatype {expected.Datatype} on stable, {actual.Datatype} on the canary");
            }

            if (!expected.Shape.AsSpan().SequenceEqual(actual.Shape))
            {
                return PairComparison.StructureMismatch(
                    $"output '{expected.Name}': shape [{string.Join(',', expected.Shape)}] on stable, [{string.Join(',', actual.Shape)}] on the canary");
            }

            var (abs, rel, close) = expected.Strings is not null || actual.Strings is not null
                ? CompareStrings(expected.Strings ?? [], actual.Strings ?? [])
                : CompareNumbers(expected.Numbers ?? [], actual.Numbers ?? [], absoluteTolerance, relativeTolerance);
            if (abs < 0)
            {
                return PairComparison.StructureMismatch($"output '{expected.Name}': its element count does not match its shape on both sides");
            }

            if (worstOutput is null || abs > maxAbs)
            {
                worstOutput = expected.Name;
                maxAbs = abs;
            }

            maxRel = Math.Max(maxRel, rel);
            within &= close;
            if (IsScores(expected))
            {
                argmaxAgrees = (argmaxAgrees ?? true) & SameArgmax(expected.Numbers!, actual.Numbers!, (int)expected.Shape[1]);
            }
        }

        return new PairComparison(null, worstOutput, maxAbs, maxRel, within, argmaxAgrees);
    }

    private static (double Abs, double Rel, bool Close) CompareNumbers(double[] expected, double[] actual, double atol, double rtol)
    {
        if (expected.Length != actual.Length)
        {
            return (-1, -1, false);
        }

        double maxAbs = 0, maxRel = 0;
        var close = true;
        for (var i = 0; i < expected.Length; i++)
        {
            var (a, b) = (expected[i], actual[i]);
            double abs;
            if (a.Equals(b))
            {
                // Equal numbers, equal infinities, and NaN against NaN.
                continue;
            }

            abs = Math.Abs(b - a);
            if (!double.IsFinite(abs))
            {
                abs = double.MaxValue;
            }

            var rel = a == 0 ? double.MaxValue : Math.Min(abs / Math.Abs(a), double.MaxValue);
            maxAbs = Math.Max(maxAbs, abs);
            maxRel = Math.Max(maxRel, rel);
            close &= abs <= atol + (rtol * Math.Abs(a));
        }

        return (maxAbs, maxRel, close);
    }

    private static (double Abs, double Rel, bool Close) CompareStrings(string[] expected, string[] actual)
    {
        if (expected.Length != actual.Length)
        {
            return (-1, -1, false);
        }

        var same = expected.AsSpan().SequenceEqual(actual);
        return same ? (0, 0, true) : (double.MaxValue, double.MaxValue, false);
    }

    private static bool IsScores(OutputTensor output) =>
        output.IsFloatingPoint && output.Shape is [_, > 1] && output.Numbers is not null;

    private static bool SameArgmax(double[] expected, double[] actual, int classes)
    {
        for (var row = 0; row + classes <= expected.Length; row += classes)
        {
            if (Argmax(expected.AsSpan(row, classes)) != Argmax(actual.AsSpan(row, classes)))
            {
                return false;
            }
        }

        return true;
    }

    private static int Argmax(ReadOnlySpan<double> scores)
    {
        var best = 0;
        for (var i = 1; i < scores.Length; i++)
        {
            // NaN never wins: a comparison with it is false.
            if (scores[i] > scores[best] || double.IsNaN(scores[best]))
            {
                best = i;
            }
        }

        return best;
    }
}
