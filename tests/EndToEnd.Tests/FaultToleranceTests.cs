using System.Net.Http.Json;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.EndToEnd.Tests;

/// <summary>
/// The everyday faults, all at once, under steady load through the gateway: a weight change every
/// second, a canary replica killed, the deployer killed and restarted, another model deployed. The
/// model's stable variant stays healthy throughout, so not one request may fail.
/// </summary>
public sealed class FaultToleranceTests : IAsyncLifetime
{
    private readonly SuiteFixture _suite = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _suite.InitializeAsync();

    public ValueTask DisposeAsync() => _suite.DisposeAsync();

    [Fact]
    public async Task Steady_load_survives_weight_changes_a_killed_canary_a_killed_deployer_and_another_deploy()
    {
        var deployed = await _suite.DeployAsync("steady", _suite.ModelVariant(replicas: 2),
            _suite.ModelVariant(env: new() { ["VARIANT"] = "canary" }), 20, Ct);
        var canaryPort = DeployerHarness.Port(deployed.Status.Variants[VariantNames.Canary].Endpoints.Single());
        var canaryPid = _suite.Replicas("steady").Single(pid => ReplicaProcesses.EnvironmentValue(pid, "PORT") == canaryPort);
        var faults = new FaultLog();

        var chaos = Task.Run(async () =>
        {
            int[] weights = [50, 0, 30, 100, 10, 60, 20, 40, 0, 25, 50, 20];
            for (var second = 0; second < weights.Length; second++)
            {
                if (await TrySetWeightAsync(weights[second]))
                {
                    faults.Add("weight change");
                }

                switch (second)
                {
                    case 2:
                        ReplicaProcesses.Kill(canaryPid);
                        faults.Add("canary replica killed");
                        break;
                    case 4:
                        await _suite.KillAsync();
                        faults.Add("deployer killed");
                        await Task.Delay(1000, Ct);
                        await _suite.StartAsync();
                        faults.Add("deployer restarted");
                        break;
                    case 7:
                        (await _suite.CreateAsync("other", cancellationToken: Ct)).Dispose();
                        faults.Add("another model deployed");
                        break;
                }

                await Task.Delay(1000, Ct);
            }
        }, Ct);

        var outcome = await _suite.LoadAsync("steady", workers: 4, chaos, Ct);

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"fault suite: {outcome.Total} requests, {outcome.Failures.Count} failed, faults: {faults}; served stable {outcome.Served("stable")}, canary {outcome.Served("canary")}");
        Assert.True(outcome.Failures.Count == 0, $"{outcome.Failures.Count} of {outcome.Total} failed: {string.Join(", ", outcome.Failures.Distinct())}");
        Assert.True(outcome.Served(VariantNames.Canary) > 0, "the canary never served");
        // Twelve were sent; only those while the deployer was down may have been refused.
        Assert.True(faults.Count("weight change") >= 10, faults.ToString());

        // The system ends where it should: the deployment healthy and routed, the other model served too.
        await _suite.WaitForAsync("steady", d => d.Status.Phase == DeploymentPhase.Ready, cancellationToken: Ct);
        await _suite.WaitForReadyAsync("other", Ct);
        await _suite.WaitForGatewaySyncAsync(Ct);
        Assert.Equal(200, (await _suite.InferAsync("other", null, Ct)).Status);
        Assert.Equal((200, VariantNames.Canary), await _suite.InferAsync("steady", VariantNames.Canary, Ct));
        Assert.Equal(3, _suite.Replicas("steady").Count);
    }

    /// <summary>A weight change that the deployer, being down, may refuse; false when it did not take it.</summary>
    private async Task<bool> TrySetWeightAsync(int weight)
    {
        try
        {
            using var response = await _suite.Client.PutAsJsonAsync("/v1/deployments/steady/traffic", new { canary = weight }, Ct);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private sealed class FaultLog
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _faults = new();

        public void Add(string fault) => _faults.Enqueue(fault);

        public int Count(string fault) => _faults.Count(f => f == fault);

        public override string ToString() =>
            string.Join(", ", _faults.GroupBy(f => f).Select(group => $"{group.Count()} x {group.Key}"));
    }
}
