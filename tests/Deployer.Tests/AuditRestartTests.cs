using System.Net;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>The audit trail is in the store: it outlives the deployer process and the deployments it is about.</summary>
public sealed class AuditRestartTests : IAsyncLifetime
{
    private readonly DeployerFixture _deployer = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _deployer.InitializeAsync();

    public ValueTask DisposeAsync() => _deployer.DisposeAsync();

    [Fact]
    public async Task History_survives_a_restart_and_the_deletion_and_recreation_of_its_deployment()
    {
        (await _deployer.CreateAsync("kept", _deployer.ModelVariant(replicas: 0), cancellationToken: Ct)).Dispose();
        await _deployer.WaitForReadyAsync("kept", Ct);
        (await _deployer.Client.PutAsync("/v1/deployments/kept",
            System.Net.Http.Json.JsonContent.Create(new { stable = _deployer.ModelVariant(replicas: 0, env: new() { ["X"] = "1" }) }), Ct)).Dispose();
        await _deployer.WaitForAsync("kept", d => d.Status.ObservedRevision == 2, cancellationToken: Ct);
        (await _deployer.Client.DeleteAsync("/v1/deployments/kept", Ct)).Dispose();
        await _deployer.WaitForGoneAsync("kept", Ct);
        var before = await _deployer.SettledHistoryAsync("kept", 3, Ct);

        Assert.Equal(0, await _deployer.StopAsync());
        await _deployer.StartAsync();

        var after = await _deployer.SettledHistoryAsync("kept", 3, Ct);
        Assert.Equal(before, after, (a, b) => a.Id == b.Id && a.Action == b.Action && a.Outcome.Status == b.Outcome.Status && a.Time == b.Time);
        Assert.Equal([AuditActions.Delete, AuditActions.Update, AuditActions.Create], after.Select(entry => entry.Action));
        Assert.Equal(3, (await _deployer.PageAsync("/v1/audit?deployment=kept", Ct)).Items.Count);

        // The name again: a new deployment, whose entries join the same history without touching the old ones.
        using var again = await _deployer.CreateAsync("kept", _deployer.ModelVariant(replicas: 0), cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        var history = await _deployer.SettledHistoryAsync("kept", 4, Ct);
        Assert.Equal((AuditActions.Create, 1L, AuditOutcomes.Succeeded), (history[0].Action, history[0].Revision, history[0].Outcome.Status));
        Assert.Equal(after.Select(entry => entry.Outcome), history.Skip(1).Select(entry => entry.Outcome));
    }
}
