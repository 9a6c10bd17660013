using System.Globalization;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Tests.Telemetry;

namespace ModelPlatform.EndToEnd.Tests.Rollouts;

/// <summary>
/// The cluster's way of measuring: a real Prometheus scrapes the real gateway, the deployer judges
/// the rollout on Prometheus's answers (<c>Deployer:Telemetry:Source=Prometheus</c>) and the gateway
/// reports nothing; a canary refusing half its requests is rolled back as with the embedded source.
/// </summary>
public sealed class PrometheusRolloutTests : IAsyncLifetime
{
    private readonly PrometheusPlatform _platform = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _platform.InitializeAsync();

    public ValueTask DisposeAsync() => _platform.DisposeAsync();

    [Fact]
    public async Task Judged_on_prometheus_a_canary_refusing_half_its_requests_is_rolled_back_by_the_client_error_gate()
    {
        await _platform.CreateWithRolloutAsync("scraped", _platform.ModelVariant(), _platform.ModelVariant(uri: _platform.RefusingModel),
            new { steps = new[] { 20, 50 }, bakeSeconds = 30, minCanaryRequests = 10, minStableRequests = 10, gates = RolloutPlatform.ErrorGates }, Ct);
        await _platform.WaitForRoutesAsync("scraped", RolloutPlatform.AddMulRequest(1), Ct);

        Deployment done;
        string answers;
        await using (var load = SteadyLoad.Start(_platform.Gateways, "scraped", [RolloutPlatform.AddMulRequest(1), RolloutPlatform.AddMulRequest(2)]))
        {
            done = await _platform.WaitForRolloutEndAsync("scraped", Ct);
            answers = load.ToString();
        }

        var rollout = done.Status.Rollout!;
        Assert.True(rollout.State == RolloutStates.RolledBack, $"{rollout.Reason}; {answers}");
        Assert.Equal((RolloutStates.RolledBack, 0), (rollout.State, rollout.Step));
        var gate = Assert.Single(rollout.Gates, g => g.Type == RolloutGateTypes.ClientErrorRatio);
        Assert.False(gate.Passed);
        // Refusals measured above the gate's limit, not "about half": Prometheus takes each series' increase
        // from that series' own samples in the window (none from a series seen once so far), so over ten-odd
        // canary requests the ratio can land anywhere up to 1 (it measured 0.818 once and 1 once).
        Assert.InRange(gate.Measured!.Value, gate.Max + 1e-9, 1.0);
        Assert.Equal("prometheus", (await _platform.MetricsAsync("scraped", "1m", Ct)).Source);
    }

    /// <summary>Prometheus scrapes the gateway's port, chosen before either starts; the deployer reads Prometheus.</summary>
    private sealed class PrometheusPlatform : RolloutPlatform
    {
        private readonly int _gatewayPort = Testing.FreePort.Next();
        private PrometheusServer? _prometheus;

        protected override int GatewayCount => 0;

        protected override Dictionary<string, string> Settings()
        {
            var settings = base.Settings();
            settings["Deployer__Telemetry__Source"] = "Prometheus";
            settings["Deployer__Telemetry__Prometheus__Url"] = _prometheus!.Url.ToString();
            // rate() needs two scrapes (one a second) inside the window.
            settings["Deployer__Telemetry__MinWindow"] = "00:00:05";
            return settings;
        }

        public override async ValueTask InitializeAsync()
        {
            _prometheus = await PrometheusServer.StartAsync(new Uri($"http://127.0.0.1:{_gatewayPort.ToString(CultureInfo.InvariantCulture)}/metrics"), Ct);
            await base.InitializeAsync();
            await StartGatewayAsync(_gatewayPort, ("Gateway__Telemetry__ReportToDeployer", "false"));
            await _prometheus.WaitForScrapeAsync(Ct);
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            if (_prometheus is not null)
            {
                await _prometheus.DisposeAsync();
            }
        }
    }
}
