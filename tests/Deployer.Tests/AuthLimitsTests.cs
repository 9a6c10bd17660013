using System.Net;
using System.Net.Http.Headers;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>The quickstart's own admin token, and the limits on guessing tokens and on request rates.</summary>
public sealed class AuthLimitsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_configured_tokens_the_first_run_makes_an_owner_only_admin_token_and_later_runs_reuse_it()
    {
        await using var deployer = new QuickstartFixture();
        await deployer.InitializeAsync();
        var file = Path.Combine(deployer.DataDirectory, AdminTokenFile.FileName);

        Assert.True(File.Exists(file));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        var token = AdminTokenFile.Read(file);
        Assert.Contains($"Authorization: Bearer $(cat {file})", deployer.Process.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(token, deployer.Process.Output, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await GetAsync(deployer, token, "/v1/deployments"));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(deployer, DeployerHarness.Tokens["admin"], "/v1/deployments"));

        await deployer.StopAsync();
        await deployer.StartAsync();

        Assert.Equal(token, AdminTokenFile.Read(file));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(deployer, token, "/v1/deployments"));
    }

    [Fact]
    public async Task Too_many_invalid_tokens_from_one_address_are_answered_429_but_a_valid_token_from_it_still_succeeds()
    {
        await using var deployer = new LimitsFixture(("Deployer__Auth__FailedAttemptsPerMinute", "3"));
        await deployer.InitializeAsync();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(deployer, $"guess-{i}", "/v1/deployments"));
        }

        for (var i = 3; i < 20; i++)
        {
            using var blocked = await SendAsync(deployer, $"guess-{i}", "/v1/deployments");
            Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(60), blocked.Headers.RetryAfter?.Delta);
        }

        // Callers behind one address (a sidecar, a NAT) must not be locked out by whoever else is there.
        Assert.Equal(HttpStatusCode.OK, await GetAsync(deployer, DeployerHarness.Tokens["admin"], "/v1/deployments"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(deployer, DeployerHarness.Tokens["reader"], "/v1/deployments"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await GetAsync(deployer, "guess-after", "/v1/deployments"));
    }

    [Fact]
    public async Task A_client_over_its_rate_is_answered_429_with_retry_after_and_others_and_probes_are_not()
    {
        await using var deployer = new LimitsFixture(("Deployer__RateLimit__RequestsPerSecond", "1"), ("Deployer__RateLimit__Burst", "3"));
        await deployer.InitializeAsync();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add(await GetAsync(deployer, DeployerHarness.Tokens["reader"], "/v1/deployments"));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        using var limited = await SendAsync(deployer, DeployerHarness.Tokens["reader"], "/v1/deployments");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter?.Delta);
        Assert.Equal("Too many requests", (await DeployerHarness.ProblemAsync(limited, Ct))["title"]!.GetValue<string>());

        // Another token is another client; health probes are nobody's.
        Assert.Equal(HttpStatusCode.OK, await GetAsync(deployer, DeployerHarness.Tokens["admin"], "/v1/deployments"));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await GetAsync(deployer, DeployerHarness.Tokens["reader"], "/readyz"));
        }
    }

    private static async Task<HttpStatusCode> GetAsync(DeployerHarness deployer, string token, string path)
    {
        using var response = await SendAsync(deployer, token, path);
        return response.StatusCode;
    }

    private static async Task<HttpResponseMessage> SendAsync(DeployerHarness deployer, string token, string path)
    {
        using var client = new HttpClient { BaseAddress = deployer.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request, Ct);
    }

    private sealed class QuickstartFixture : DeployerHarness
    {
        protected override bool ConfigureTokens => false;
    }

    private sealed class LimitsFixture(params (string Key, string Value)[] settings) : DeployerHarness
    {
        protected override Dictionary<string, string> Settings() => settings.ToDictionary(pair => pair.Key, pair => pair.Value);
    }
}
