using System.Net;
using System.Net.Http.Json;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests.Models;

/// <summary>
/// Deployments of stored models: <c>models:/{name}</c> is pinned to the newest version's digest in
/// the revision, a replica serves the stored file, and a version in use cannot be deleted.
/// </summary>
public sealed class StoredModelDeploymentTests(ModelStoreDeployer deployer) : IClassFixture<ModelStoreDeployer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_deployment_of_models_name_is_pinned_to_the_newest_digest_and_served_from_the_store()
    {
        var version = await deployer.UploadVersionAsync("pinned", File.ReadAllBytes(deployer.AddMulModel), Ct);

        using var created = await deployer.CreateAsync("pinned", deployer.ModelVariant(uri: "models:/pinned"), cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var ready = await deployer.WaitForReadyAsync("pinned", Ct);
        await deployer.UploadVersionAsync("pinned", ModelStoreApiTests.UniqueModel("pinned-2"), Ct);
        var later = await deployer.GetAsync("pinned", Ct);

        Assert.Equal(version.Uri, ready.Stable.Model!.Uri);
        Assert.Equal(version.Uri, later!.Stable.Model!.Uri);
        using var client = new HttpClient { BaseAddress = new Uri(ready.Status.Variants[VariantNames.Stable].Endpoints.Single()) };
        using var infer = await client.PostAsJsonAsync("/v2/models/pinned/infer", new
        {
            inputs = new object[]
            {
                new { name = "a", datatype = "FP32", shape = new[] { 1, 3 }, data = new[] { 1f, 2f, 3f } },
                new { name = "b", datatype = "FP32", shape = new[] { 1, 3 }, data = new[] { 1f, 1f, 1f } },
            },
        }, Ct);
        Assert.Equal(HttpStatusCode.OK, infer.StatusCode);

        // The same request again asks for the newest version, which is now another one: a new revision.
        using var again = await deployer.Client.PutAsJsonAsync("/v1/deployments/pinned", new { stable = deployer.ModelVariant(uri: "models:/pinned") }, Ct);
        var replaced = (await again.Content.ReadFromJsonAsync<Deployment>(DeployerHarness.Json, Ct))!;
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.NotEqual(version.Uri, replaced.Stable.Model!.Uri);
        Assert.StartsWith("models:/pinned@sha256:", replaced.Stable.Model.Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_version_a_deployment_runs_cannot_be_deleted_until_the_deployment_is_gone()
    {
        var version = await deployer.UploadVersionAsync("in-use", ModelStoreApiTests.UniqueModel("in-use"), Ct);
        using var created = await deployer.CreateAsync("in-use", deployer.ModelVariant(uri: version.Uri), cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);

        using var refused = await deployer.Client.DeleteAsync("/v1/models/in-use/versions/1", Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("in-use", (await DeployerHarness.ProblemAsync(refused, Ct))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Single(deployer.StoredFiles, file => version.Digest.EndsWith(Path.GetFileName(file), StringComparison.Ordinal));

        using (await deployer.Client.DeleteAsync("/v1/deployments/in-use", Ct))
        {
        }

        await deployer.WaitForGoneAsync("in-use", Ct);
        using var deleted = await deployer.Client.DeleteAsync("/v1/models/in-use/versions/1", Ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Theory]
    [InlineData("models:/never-uploaded", "upload it first")]
    [InlineData("models:/pin-check@sha256:0000000000000000000000000000000000000000000000000000000000000000", "not a version")]
    [InlineData("models:/pin-check@md5:abc", "not a digest")]
    public async Task A_store_uri_that_names_no_stored_version_is_400_naming_the_field(string uri, string reason)
    {
        await deployer.UploadVersionAsync("pin-check", ModelStoreApiTests.UniqueModel("pin-check"), Ct);

        using var response = await deployer.CreateAsync("unresolved", deployer.ModelVariant(uri: uri), deployer.ModelVariant(uri: uri), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await DeployerHarness.ProblemAsync(response, Ct))["errors"]!;
        Assert.Contains(reason, errors["stable.model.uri"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(errors["canary.model.uri"]);
    }
}
