namespace ModelPlatform.Gateway.LoadBalancing;

/// <summary>
/// Nginx's smooth weighted round-robin over a handful of variants: each pick adds every weight to
/// its running score, takes the highest, and subtracts the total from it. Over any window of
/// (sum of weights) picks the split is exact, and picks of each variant are spread evenly rather than
/// bunched, which random choice cannot promise over a few hundred requests.
/// </summary>
internal sealed class SmoothWeightedRoundRobin
{
    private readonly Dictionary<string, long> _scores = new(StringComparer.Ordinal);

    /// <summary>Picks one of <paramref name="candidates"/> (name, weight); weights must not all be zero.</summary>
    public string Pick(ReadOnlySpan<(string Name, int Weight)> candidates)
    {
        lock (_scores)
        {
            long total = 0;
            string? best = null;
            long bestScore = long.MinValue;
            foreach (var (name, weight) in candidates)
            {
                var score = _scores.GetValueOrDefault(name) + weight;
                _scores[name] = score;
                total += weight;
                if (score > bestScore)
                {
                    best = name;
                    bestScore = score;
                }
            }

            _scores[best!] = bestScore - total;
            return best!;
        }
    }
}
