using System.Diagnostics;
using System.Globalization;

namespace ModelPlatform.Bench.Mirror;

/// <summary>
/// The bench's load: wrk on one connection, waiting a fixed time after each answer before the next
/// request, so the rate stays low and steady. wrk is an event loop in C: between requests it sleeps
/// in epoll and costs the two cores next to nothing, where a .NET load generator's thread pool spins
/// and wakes threads for every answer, on the same cores as the gateway and the replicas, at the very
/// moment a copy's work starts (see docs/benchmarks.md, "Mirror traffic"). Every latency wrk recorded
/// comes back, to the microsecond, from its histogram.
/// </summary>
internal static class PacedLoad
{
    public static void EnsureInstalled()
    {
        if (!Path.Exists("/usr/bin/wrk") && !Path.Exists("/usr/local/bin/wrk"))
        {
            throw new InvalidOperationException("wrk is missing: install it (Debian/Ubuntu: apt-get install wrk).");
        }
    }

    /// <summary>Writes the wrk script that posts <paramref name="body"/> and waits <paramref name="pause"/> after each answer.</summary>
    public static string WriteScript(string folder, string body, TimeSpan pause)
    {
        if (body.Contains('\'', StringComparison.Ordinal) || body.Contains('\\', StringComparison.Ordinal))
        {
            throw new ArgumentException("The body goes into a Lua string literal as it is.", nameof(body));
        }

        var script = Path.Combine(folder, "paced.lua");
        File.WriteAllText(script, string.Create(CultureInfo.InvariantCulture, $$"""
            wrk.method = "POST"
            wrk.headers["Content-Type"] = "application/json"
            wrk.body = '{{body}}'
            function delay()
              return {{pause.TotalMilliseconds}}
            end
            function done(summary, latency, requests)
              local errors = summary.errors
              io.write(string.format("requests %d\n", summary.requests))
              io.write(string.format("failed %d\n", errors.status + errors.connect + errors.read + errors.write + errors.timeout))
              for i = 1, #latency do
                local value, count = latency(i)
                io.write(string.format("latency %d %d\n", value, count))
              end
            end
            """));
        return script;
    }

    /// <summary>Runs wrk for <paramref name="seconds"/> against <paramref name="url"/>: each latency in ms, and the failed count.</summary>
    public static async Task<(List<double> Latencies, int Failed)> RunAsync(string script, string url, int seconds)
    {
        using var wrk = Process.Start(new ProcessStartInfo("wrk", ["-t1", "-c1", $"-d{seconds}s", "-s", script, url])
        {
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("wrk did not start.");
        var output = await wrk.StandardOutput.ReadToEndAsync();
        await wrk.WaitForExitAsync();
        if (wrk.ExitCode != 0)
        {
            throw new InvalidOperationException($"wrk exited with {wrk.ExitCode}:\n{output}");
        }

        var latencies = new List<double>();
        var failed = 0;
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split(' ');
            switch (fields[0])
            {
                case "latency" when fields.Length == 3:
                    var micros = double.Parse(fields[1], CultureInfo.InvariantCulture);
                    latencies.AddRange(Enumerable.Repeat(micros / 1000, int.Parse(fields[2], CultureInfo.InvariantCulture)));
                    break;
                case "failed" when fields.Length == 2:
                    failed = int.Parse(fields[1], CultureInfo.InvariantCulture);
                    break;
            }
        }

        return (latencies, failed);
    }
}
