using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;

namespace ModelPlatform.Bench.Rollout;

/// <summary>One answer: when it came back (since the run's start), its status, the variant that served it, and how long it took.</summary>
internal readonly record struct Answer(TimeSpan At, int Status, string Variant, TimeSpan Latency, int Gateway);

/// <summary>
/// Requests at a fixed rate whatever the answers take (an open loop, as end users send them), each
/// to the next gateway in turn with the next body in turn, until stopped.
/// </summary>
internal sealed class OpenLoopLoad(IReadOnlyList<HttpClient> gateways, string model, IReadOnlyList<object> bodies, double rate)
{
    private readonly ConcurrentQueue<Answer> _answers = new();
    private readonly Stopwatch _clock = new();

    public IReadOnlyCollection<Answer> Answers => _answers;

    public TimeSpan Elapsed => _clock.Elapsed;

    public async Task RunAsync(Func<bool> stop)
    {
        var interval = TimeSpan.FromSeconds(1 / rate);
        var inFlight = new List<Task>();
        _clock.Start();
        for (var i = 0L; !stop(); i++)
        {
            var due = interval * i;
            if (due > _clock.Elapsed)
            {
                await Task.Delay(due - _clock.Elapsed);
            }

            // Bodies drawn at random: taken in turn, they would line up with the gateway's smooth
            // weighted round robin (at 5% the canary gets every 20th request, always the same body).
            inFlight.Add(SendAsync((int)(i % gateways.Count), bodies[Random.Shared.Next(bodies.Count)]));
        }

        await Task.WhenAll(inFlight);
    }

    private async Task SendAsync(int gateway, object body)
    {
        var started = _clock.Elapsed;
        try
        {
            using var answer = await gateways[gateway].PostAsJsonAsync($"/v2/models/{model}/infer", body);
            await answer.Content.LoadIntoBufferAsync();
            var variant = answer.Headers.TryGetValues("x-model-variant", out var values) ? values.First() : string.Empty;
            _answers.Enqueue(new Answer(_clock.Elapsed, (int)answer.StatusCode, variant, _clock.Elapsed - started, gateway));
        }
        catch (HttpRequestException)
        {
            _answers.Enqueue(new Answer(_clock.Elapsed, 0, string.Empty, _clock.Elapsed - started, gateway));
        }
    }
}
