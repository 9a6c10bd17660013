using System.Net;
using System.Net.Http.Json;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>A deployer that allows two deployments.</summary>
public sealed class QuotaFixture : DeployerHarness, IAsyncLifetime
{
    public const int Quota = 2;

    protected override Dictionary<string, string> Settings() => new() { ["Deployer__MaxDeployments"] = Quota.ToString(System.Globalization.CultureInfo.InvariantCulture) };
}

/// <summary><c>Deployer:MaxDeployments</c>: creates beyond it are refused with 403, also when they race for the last place.</summary>
public sealed class QuotaTests(QuotaFixture deployer) : IClassFixture<QuotaFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Creates_beyond_the_quota_get_403_naming_it_and_store_nothing()
    {
        await CreateAsync("full-1");
        await CreateAsync("full-2");

        using var post = await deployer.CreateAsync("full-3", deployer.ModelVariant(replicas: 0), cancellationToken: Ct);
        using var put = await deployer.Client.PutAsJsonAsync("/v1/deployments/full-3", new { stable = deployer.ModelVariant(replicas: 0) }, Ct);
        using var retry = await deployer.CreateAsync("full-1", deployer.ModelVariant(replicas: 0), cancellationToken: Ct);

        foreach (var refused in new[] { post, put })
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            var problem = await DeployerHarness.ProblemAsync(refused, Ct);
            Assert.Equal("urn:modelplatform:problem:quota-exceeded", problem["type"]!.GetValue<string>());
            Assert.Contains("Deployer:MaxDeployments", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal("Deployer:MaxDeployments", problem["quota"]!["name"]!.GetValue<string>());
            Assert.Equal((QuotaFixture.Quota, QuotaFixture.Quota), (problem["quota"]!["limit"]!.GetValue<int>(), problem["quota"]!["used"]!.GetValue<int>()));
        }

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Null(await deployer.GetAsync("full-3", Ct));
        Assert.Empty((await deployer.PageAsync("/v1/audit?deployment=full-3", Ct)).Items);

        await DeleteAsync("full-1");
        await CreateAsync("full-3");
        await DeleteAsync("full-2");
        await DeleteAsync("full-3");
    }

    [Fact]
    public async Task Parallel_creates_for_the_last_place_have_exactly_one_winner()
    {
        await CreateAsync("edge-base");
        for (var round = 0; round < 3; round++)
        {
            var names = new[] { $"edge-{round}-a", $"edge-{round}-b", $"edge-{round}-c" };
            var answers = await Task.WhenAll(names.Select(async name =>
            {
                using var response = await deployer.CreateAsync(name, deployer.ModelVariant(replicas: 0), cancellationToken: Ct);
                return (name, response.StatusCode);
            }));

            var winner = Assert.Single(answers, answer => answer.StatusCode == HttpStatusCode.Accepted);
            Assert.All(answers.Where(answer => answer != winner), answer => Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode));
            Assert.Equal(QuotaFixture.Quota, (await deployer.Client.GetFromJsonAsync<ModelPlatform.Contracts.DeploymentList>("/v1/deployments", DeployerHarness.Json, Ct))!.Items.Count);
            await DeleteAsync(winner.name);
        }

        await DeleteAsync("edge-base");
    }

    [Theory]
    [InlineData("Deployer__MaxDeployments", "0", "MaxDeployments")]
    [InlineData("Deployer__AllowedRegistries__0", "acme", "Deployer:AllowedRegistries: 'acme'")]
    [InlineData("Deployer__ModelUriSchemes__0", "s3", "Deployer:ModelUriSchemes: 's3'")]
    public async Task A_bad_setting_stops_the_deployer_at_start_naming_it(string key, string value, string named)
    {
        await deployer.StopAsync();

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => deployer.StartAsync((key, value)));

        Assert.Contains(named, failure.Message, StringComparison.Ordinal);
        await deployer.StartAsync();
    }

    private async Task CreateAsync(string name)
    {
        using var response = await deployer.CreateAsync(name, deployer.ModelVariant(replicas: 0), cancellationToken: Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private async Task DeleteAsync(string name)
    {
        (await deployer.Client.DeleteAsync($"/v1/deployments/{name}", Ct)).Dispose();
        await deployer.WaitForGoneAsync(name, Ct);
    }
}
