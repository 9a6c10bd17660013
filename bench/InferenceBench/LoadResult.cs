namespace ModelPlatform.Bench.Inference;

/// <summary>What one load run measured; <paramref name="CpuMicrosPerRequest"/> is a watched process's CPU per request, when one was watched.</summary>
internal sealed record LoadResult(string Name, int Concurrency, int Requests, int Failures, TimeSpan Elapsed, double[] LatenciesMs, double? CpuMicrosPerRequest = null)
{
    public double Throughput => Requests / Elapsed.TotalSeconds;

    public double Percentile(double p)
    {
        if (LatenciesMs.Length == 0)
        {
            return double.NaN;
        }

        var sorted = LatenciesMs.Order().ToArray();
        var index = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }
}
