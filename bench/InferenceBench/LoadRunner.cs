using System.Collections.Concurrent;
using System.Diagnostics;

namespace ModelPlatform.Bench.Inference;

/// <summary>
/// Runs an operation from N concurrent workers for a fixed time, after a warm-up, and records each
/// latency and, when given a process's CPU clock, that process's CPU time per request over the
/// measured part.
/// </summary>
internal static class LoadRunner
{
    public static async Task<LoadResult> RunAsync(
        string name, int concurrency, TimeSpan warmUp, TimeSpan duration, Func<Task<bool>> operation, Func<double>? cpuSeconds = null)
    {
        await RunWorkersAsync(concurrency, warmUp, operation, record: null);
        var latencies = new ConcurrentBag<double>();
        var failures = 0;
        var cpuBefore = cpuSeconds?.Invoke() ?? 0;
        var clock = Stopwatch.StartNew();
        await RunWorkersAsync(concurrency, duration, operation, (ok, ms) =>
        {
            if (ok)
            {
                latencies.Add(ms);
            }
            else
            {
                Interlocked.Increment(ref failures);
            }
        });
        var elapsed = clock.Elapsed;
        double? cpu = cpuSeconds is null ? null : (cpuSeconds() - cpuBefore) * 1e6 / Math.Max(1, latencies.Count + failures);
        return new LoadResult(name, concurrency, latencies.Count, failures, elapsed, [.. latencies], cpu);
    }

    private static Task RunWorkersAsync(int concurrency, TimeSpan duration, Func<Task<bool>> operation, Action<bool, double>? record)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        return Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var started = Stopwatch.GetTimestamp();
                bool ok;
                try
                {
                    ok = await operation();
                }
                catch (HttpRequestException)
                {
                    ok = false;
                }

                record?.Invoke(ok, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })));
    }
}
