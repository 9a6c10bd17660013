using System.Net.Http.Json;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>
/// The deployer killed right after each workflow activity's side effect, before its result is
/// journaled (the worst moment), at its first use in a deploy, a new revision and a delete: a
/// restarted deployer must reach the same end state with no duplicated and no orphaned replica.
/// </summary>
public sealed class CrashAtEveryStepTests : IAsyncLifetime
{
    private readonly DeployerFixture _deployer = new();
    private int _crashes;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _deployer.InitializeAsync();

    public ValueTask DisposeAsync() => _deployer.DisposeAsync();

    public static TheoryData<string> Activities() =>
    [
        "PlanReconcileActivity",
        "RecordProgressActivity",
        "ProvisionVariantActivity",
        "AwaitVariantReadyActivity",
        "PublishRoutesActivity",
        "RemoveReplicaSetsActivity",
        "RecordOutcomeActivity",
        "DeleteDeploymentActivity",
    ];

    [Theory]
    [MemberData(nameof(Activities))]
    public async Task A_deployer_killed_after_any_activity_resumes_to_the_same_end_state(string activity)
    {
        await _deployer.StopAsync();
        await _deployer.StartCrashingAfterAsync(activity);
        // Deploy: a stable and a canary.
        await PutAsync(new { stable = _deployer.ModelVariant(), canary = _deployer.ModelVariant(env: new() { ["FLAVOUR"] = "canary" }), traffic = new { canary = 20 } });
        var deployed = await SurviveUntilAsync(d => d.Status.Phase == DeploymentPhase.Ready && d.Status.ObservedRevision == 1);
        await AssertServingAsync(deployed, stableReplicas: 1, canaryReplicas: 1);

        // A new revision of the stable variant retires its old replica set.
        await PutAsync(new { stable = _deployer.ModelVariant(replicas: 2, env: new() { ["FLAVOUR"] = "v2" }), canary = _deployer.ModelVariant(env: new() { ["FLAVOUR"] = "canary" }), traffic = new { canary = 20 } });
        var updated = await SurviveUntilAsync(d => d.Status.Phase == DeploymentPhase.Ready && d.Status.ObservedRevision == 2);
        await AssertServingAsync(updated, stableReplicas: 2, canaryReplicas: 1);
        var routes = await _deployer.RoutesAsync(Ct);
        Assert.Equal(3, routes.Models.Single().Variants.Sum(variant => variant.Endpoints.Count));

        // Delete.
        await SendSurvivingAsync(() => _deployer.Client.DeleteAsync("/v1/deployments/steps", Ct));
        while (await GetSurvivingAsync() is not null)
        {
            await Task.Delay(50, Ct);
        }

        // Every activity on the list runs in this scenario, so the deployer died once; when that was
        // the last step, the end state is checked on the deployer that resumed after it.
        if (_crashes == 0)
        {
            await RestartIfCrashedAsync();
        }

        Assert.Equal(1, _crashes);
        Assert.Null(await _deployer.GetAsync("steps", Ct));
        await WaitUntilAsync(() => _deployer.Replicas("steps").Count == 0);
        Assert.Empty((await _deployer.RoutesAsync(Ct)).Models);
    }

    private async Task AssertServingAsync(Deployment deployment, int stableReplicas, int canaryReplicas)
    {
        Assert.Equal(stableReplicas, deployment.Status.Variants[VariantNames.Stable].ReadyReplicas);
        Assert.Equal(canaryReplicas, deployment.Status.Variants[VariantNames.Canary].ReadyReplicas);
        // Retired sets may still be draining for a moment; what is left must be exactly the desired ones.
        await WaitUntilAsync(() => _deployer.Replicas("steps").Count == stableReplicas + canaryReplicas);
        var endpoints = deployment.Status.Variants.Values.SelectMany(variant => variant.Endpoints).Select(DeployerHarness.Port).Order();
        var processes = _deployer.Replicas("steps").Select(pid => ReplicaProcesses.EnvironmentValue(pid, "PORT")!).Order();
        Assert.Equal(endpoints, processes);
    }

    private Task PutAsync(object body) =>
        SendSurvivingAsync(() => _deployer.Client.PutAsJsonAsync("/v1/deployments/steps", body, Ct));

    /// <summary>Sends until the deployer answers; a crash may take the request with it.</summary>
    private async Task SendSurvivingAsync(Func<Task<HttpResponseMessage>> send)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                using var response = await send();
                response.EnsureSuccessStatusCode();
                return;
            }
            catch (HttpRequestException)
            {
                await RestartIfCrashedAsync();
            }
        }

        throw new InvalidOperationException("The deployer never took the request.");
    }

    private async Task<Deployment> SurviveUntilAsync(Func<Deployment, bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (await GetSurvivingAsync() is { } deployment && condition(deployment))
            {
                return deployment;
            }

            await Task.Delay(50, Ct);
        }

        throw new TimeoutException($"The deployment did not reach the expected state.\n{_deployer.Process.Output}");
    }

    private async Task<Deployment?> GetSurvivingAsync()
    {
        try
        {
            return await _deployer.GetAsync("steps", Ct);
        }
        catch (HttpRequestException)
        {
            await RestartIfCrashedAsync();
            return await _deployer.GetAsync("steps", Ct);
        }
    }

    private async Task RestartIfCrashedAsync()
    {
        await _deployer.Process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        _crashes++;
        await _deployer.RestartAfterCrashAsync();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("The replica processes did not reach the expected count.");
            }

            await Task.Delay(50, Ct);
        }
    }
}
