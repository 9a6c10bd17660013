using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>Replicas that crash or never start, seen in status and the route table.</summary>
public sealed class FailureTests(DeployerFixture deployer) : IClassFixture<DeployerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_crashed_replica_is_reported_degraded_restarted_and_routed_again()
    {
        (await deployer.CreateAsync("crash", cancellationToken: Ct)).Dispose();
        var ready = await deployer.WaitForReadyAsync("crash", Ct);
        var endpoint = Assert.Single(ready.Status.Variants[VariantNames.Stable].Endpoints);
        var pid = Assert.Single(deployer.Replicas("crash"));
        // Logs are read by people and shown in status: replicas are told not to colour them.
        Assert.Equal("Disabled", ReplicaProcesses.EnvironmentValue(pid, "Logging__Console__FormatterOptions__ColorBehavior"));

        ReplicaProcesses.Kill(pid);
        var degraded = await deployer.WaitForAsync("crash", d => d.Status.Phase == DeploymentPhase.Degraded, cancellationToken: Ct);
        Assert.Empty(degraded.Status.Variants[VariantNames.Stable].Endpoints);
        var back = await deployer.WaitForAsync("crash", d => d.Status.Phase == DeploymentPhase.Ready, cancellationToken: Ct);

        Assert.True(back.Status.Variants[VariantNames.Stable].Restarts >= 1);
        var newEndpoint = Assert.Single(back.Status.Variants[VariantNames.Stable].Endpoints);
        Assert.NotEqual(pid, Assert.Single(deployer.Replicas("crash")));
        var route = (await deployer.RoutesAsync(Ct)).Models.Single(m => m.Name == "crash");
        Assert.Equal([newEndpoint], route.Variants.Single().Endpoints);
        Assert.NotNull(endpoint);
    }

    [Fact]
    public async Task Traffic_moves_away_from_a_canary_that_keeps_crashing()
    {
        var canaryModel = Path.Combine(deployer.ModelsDirectory, "canary.onnx");
        File.Copy(deployer.AddMulModel, canaryModel, overwrite: true);
        (await deployer.CreateAsync("flaky", deployer.ModelVariant(), deployer.ModelVariant(uri: canaryModel), Ct)).Dispose();
        await deployer.WaitForReadyAsync("flaky", Ct);
        (await deployer.Client.PutAsync("/v1/deployments/flaky/traffic",
            System.Net.Http.Json.JsonContent.Create(new { canary = 50 }), Ct)).Dispose();
        await deployer.WaitForAsync("flaky", d => d.Status.ObservedRevision == 2, cancellationToken: Ct);

        // The canary's model goes bad and its replica dies: every restart now fails to load.
        File.WriteAllText(canaryModel, "corrupted");
        var canaryPort = DeployerHarness.Port((await deployer.GetAsync("flaky", Ct))!.Status.Variants[VariantNames.Canary].Endpoints.Single());
        ReplicaProcesses.Kill(deployer.Replicas("flaky").Single(pid => ReplicaProcesses.EnvironmentValue(pid, "PORT") == canaryPort));
        await deployer.WaitForAsync("flaky", d => d.Status.Variants[VariantNames.Canary].Restarts >= 2, cancellationToken: Ct);

        (await deployer.Client.PutAsync("/v1/deployments/flaky/traffic",
            System.Net.Http.Json.JsonContent.Create(new { canary = 0 }), Ct)).Dispose();
        var moved = await deployer.WaitForAsync("flaky", d => d.Status.ObservedRevision == 3, cancellationToken: Ct);

        Assert.NotEqual(DeploymentPhase.Failed, moved.Status.Phase);
        Assert.Equal(new TrafficSplit(100, 0), moved.Traffic);
        var weights = (await deployer.RoutesAsync(Ct)).Models.Single(m => m.Name == "flaky").Variants.ToDictionary(v => v.Name, v => v.Weight);
        Assert.Equal(100, weights[VariantNames.Stable]);
        Assert.Equal(0, weights[VariantNames.Canary]);
    }

    [Fact]
    public async Task A_model_that_cannot_load_fails_the_deployment_with_the_reason_and_stops_its_replicas()
    {
        (await deployer.CreateAsync("broken", deployer.ModelVariant(uri: deployer.BrokenModel), cancellationToken: Ct)).Dispose();

        var failed = await deployer.WaitForAsync("broken", d => d.Status.Phase == DeploymentPhase.Failed, cancellationToken: Ct);

        var condition = Assert.Single(failed.Status.Conditions, c => c.Type == "Ready");
        Assert.Equal("False", condition.Status);
        Assert.Contains("exited with code 3 (the model failed to load)", condition.Message, StringComparison.Ordinal);
        // The cause itself, as the replica wrote it in its termination message, not just its exit code.
        Assert.Contains("Protobuf parsing failed", condition.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', condition.Message);
        Assert.DoesNotContain((await deployer.RoutesAsync(Ct)).Models, m => m.Name == "broken");
        // Its replicas are stopped, not left crash-looping unrouted; their logs stay on disk.
        Assert.Empty(deployer.Replicas("broken"));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(deployer.DataDirectory, "logs"), "replica-0.log", SearchOption.AllDirectories));

        // Fixing the model is a new revision that recovers.
        (await deployer.Client.PutAsync("/v1/deployments/broken",
            System.Net.Http.Json.JsonContent.Create(new { stable = deployer.ModelVariant() }), Ct)).Dispose();
        var fixedUp = await deployer.WaitForAsync("broken", d => d.Status.ObservedRevision == 2 && d.Status.Phase == DeploymentPhase.Ready, cancellationToken: Ct);
        Assert.Single(deployer.Replicas("broken"));
        Assert.Single(fixedUp.Status.Variants);
    }
}
