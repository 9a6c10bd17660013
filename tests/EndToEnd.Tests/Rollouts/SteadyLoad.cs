using System.Collections.Concurrent;
using System.Net.Http.Json;
using ModelPlatform.Testing;

namespace ModelPlatform.EndToEnd.Tests.Rollouts;

/// <summary>
/// A steady trickle of inference requests through the gateways, from the background, until disposed:
/// one loop per gateway, each sending one of the bodies at random with a pause between requests. Counts what
/// came back by status and by the variant that served it.
/// </summary>
public sealed class SteadyLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loops;
    private readonly ConcurrentDictionary<(string Variant, int Status), int> _answers = new();
    private int _sent;
    private int _disposed;

    private SteadyLoad(IReadOnlyList<ServerProcess> gateways, string model, IReadOnlyList<object> bodies, TimeSpan pause) =>
        _loops = Task.WhenAll(gateways.Select(gateway => Task.Run(() => LoopAsync(gateway.BaseAddress, model, bodies, pause))));

    /// <summary>Requests sent and answered.</summary>
    public int Sent => Volatile.Read(ref _sent);

    /// <summary>Answers that named the variant that served them.</summary>
    public int Served => _answers.Where(answer => answer.Key.Variant.Length > 0).Sum(answer => answer.Value);

    public static SteadyLoad Start(IReadOnlyList<ServerProcess> gateways, string model, IReadOnlyList<object> bodies, TimeSpan? pause = null) =>
        new(gateways, model, bodies, pause ?? TimeSpan.FromMilliseconds(20));

    /// <summary>Answers with <paramref name="status"/> from <paramref name="variant"/> (by its <c>x-model-variant</c> header).</summary>
    public int Answered(string variant, int status) => _answers.GetValueOrDefault((variant, status));

    /// <summary>What came back, by variant and status, for assertion messages.</summary>
    public override string ToString() =>
        string.Join(", ", _answers.OrderBy(a => a.Key.Variant, StringComparer.Ordinal).ThenBy(a => a.Key.Status).Select(a => $"{a.Key.Variant} {a.Key.Status}: {a.Value}"));

    /// <summary>Stops the loops once their requests in flight are answered; again, nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        await _loops;
        _stop.Dispose();
    }

    private async Task LoopAsync(Uri gateway, string model, IReadOnlyList<object> bodies, TimeSpan pause)
    {
        using var http = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(30) };
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                // Never cancelled mid-flight: every request a gateway counts is counted here too.
                // Bodies at random: taken in turn they could line up with the gateway's weighted round robin.
                using var answer = await http.PostAsJsonAsync($"/v2/models/{model}/infer", bodies[Random.Shared.Next(bodies.Count)], CancellationToken.None);
                var variant = answer.Headers.TryGetValues("x-model-variant", out var values) ? values.Single() : string.Empty;
                _answers.AddOrUpdate((variant, (int)answer.StatusCode), 1, (_, count) => count + 1);
                Interlocked.Increment(ref _sent);
                await Task.Delay(pause, _stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
