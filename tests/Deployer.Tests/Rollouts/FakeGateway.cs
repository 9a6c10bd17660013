using System.Net.Http.Headers;
using System.Net.Http.Json;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Rollouts;

/// <summary>
/// Stands in for a gateway that serves one deployment: every 200 ms it adds what each variant
/// served since (per <see cref="Set"/>) to its cumulative counts and reports them to the deployer,
/// as a real gateway does. Reports the deployer cannot take (it is restarting) are sent again later.
/// </summary>
internal sealed class FakeGateway : IAsyncDisposable
{
    private static readonly int Buckets = GatewayMetricNames.LatencyBucketsSeconds.Count + 1;

    private readonly HttpClient _client;
    private readonly string _deployment;
    private readonly Dictionary<string, Served> _rates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long[]> _totals = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly string _name = "fake-gw-" + Guid.NewGuid().ToString("N")[..8];
    private long _sequence;

    public FakeGateway(DeployerHarness deployer, string deployment)
    {
        _deployment = deployment;
        _client = new HttpClient { BaseAddress = deployer.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DeployerHarness.Tokens["gateway"]);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>What <paramref name="variant"/> serves per tick from now on: requests, of which server and client errors, all in latency bucket <paramref name="bucket"/>.</summary>
    public void Set(string variant, int requests, int serverErrors = 0, int clientErrors = 0, int bucket = 3)
    {
        lock (_rates)
        {
            _rates[variant] = new Served(requests, serverErrors, clientErrors, bucket);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ContinueWith(static _ => { }, TaskScheduler.Default);
        _stop.Dispose();
        _client.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            GatewayTelemetryReport report;
            lock (_rates)
            {
                foreach (var (variant, served) in _rates)
                {
                    var totals = _totals.TryGetValue(variant, out var kept) ? kept : _totals[variant] = new long[4 + Buckets];
                    totals[0] += served.Requests;
                    totals[1] += served.ClientErrors;
                    totals[2] += served.ServerErrors;
                    totals[4 + served.Bucket] += served.Requests;
                }

                report = new GatewayTelemetryReport(_name, ++_sequence, [.. _totals.Select(pair => new VariantCounts(
                    _deployment, pair.Key, pair.Value[0], pair.Value[1], pair.Value[2], 0, 0, pair.Value[4..]))]);
            }

            try
            {
                using var response = await _client.PostAsJsonAsync("/v1/telemetry/reports", report, _stop.Token);
            }
            catch (HttpRequestException)
            {
                // The deployer is away (a restart test): the next report carries the same totals and more.
            }
            catch (TaskCanceledException) when (!_stop.IsCancellationRequested)
            {
            }

            try
            {
                await Task.Delay(200, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private sealed record Served(int Requests, int ServerErrors, int ClientErrors, int Bucket);
}
