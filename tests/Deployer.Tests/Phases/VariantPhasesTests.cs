using System.Net;
using System.Net.Http.Json;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Tests.Models;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Phases;

/// <summary>
/// A real deployer and reference-server replica: once a deployment serves, each variant's status
/// shows how it got there, from its model to its routes, in order and with durations.
/// </summary>
public sealed class VariantPhasesTests(ModelStoreDeployer deployer) : IClassFixture<ModelStoreDeployer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_stored_model_deployment_shows_stored_started_ready_and_routed_in_order_once_it_serves()
    {
        var version = await deployer.UploadVersionAsync("phased", ModelStoreApiTests.UniqueModel("phased"), Ct);
        using var created = await deployer.CreateAsync("phased", deployer.ModelVariant(uri: version.Uri), cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        await deployer.WaitForReadyAsync("phased", Ct);

        var phases = (await deployer.GetAsync("phased", Ct))!.Status.Variants[VariantNames.Stable].Phases!;

        Assert.Equal([VariantPhaseNames.Stored, VariantPhaseNames.ReplicaStarted, VariantPhaseNames.Ready, VariantPhaseNames.Routed], phases.Select(phase => phase.Phase));
        Assert.Equal(version.CreatedAt, phases[0].At);
        Assert.Null(phases[0].Seconds);
        Assert.All(phases.Skip(1), phase => Assert.True(phase.Seconds >= 0, $"{phase.Phase}: {phase.Seconds}"));
        Assert.Equal(phases.Select(phase => phase.At).Order(), phases.Select(phase => phase.At));
    }

    [Fact]
    public async Task A_file_model_deployment_starts_its_phases_when_the_request_was_accepted()
    {
        using var created = await deployer.CreateAsync("phased-file", deployer.ModelVariant(uri: deployer.AddMulModel), cancellationToken: Ct);
        var accepted = (await created.Content.ReadFromJsonAsync<Deployment>(DeployerHarness.Json, Ct))!;
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        await deployer.WaitForReadyAsync("phased-file", Ct);

        var listed = (await deployer.Client.GetFromJsonAsync<DeploymentList>("/v1/deployments", DeployerHarness.Json, Ct))!;
        var phases = listed.Items.Single(item => item.Name == accepted.Name).Status.Variants[VariantNames.Stable].Phases!;

        Assert.Equal([VariantPhaseNames.Accepted, VariantPhaseNames.ReplicaStarted, VariantPhaseNames.Ready, VariantPhaseNames.Routed], phases.Select(phase => phase.Phase));
        Assert.All(phases.Skip(1), phase => Assert.True(phase.Seconds >= 0, $"{phase.Phase}: {phase.Seconds}"));
    }
}
