using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>Every <c>/v1</c> call needs a token; its role decides what it may do.</summary>
public sealed class AuthTests(DeployerFixture deployer) : IClassFixture<DeployerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_a_token_the_api_answers_401_with_a_bearer_challenge()
    {
        using var anonymous = new HttpClient { BaseAddress = deployer.BaseAddress };

        using var response = await anonymous.GetAsync("/v1/deployments", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("bearer token", (await DeployerHarness.ProblemAsync(response, Ct))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_token_is_401_invalid_token()
    {
        using var response = await SendAsync("not-a-token", HttpMethod.Get, "/v1/deployments");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("error=\"invalid_token\"", response.Headers.WwwAuthenticate.Single().Parameter);
    }

    [Fact]
    public async Task Health_metrics_and_the_api_description_need_no_token()
    {
        using var anonymous = new HttpClient { BaseAddress = deployer.BaseAddress };
        foreach (var path in new[] { "/healthz", "/readyz", "/metrics", "/openapi/v1.json" })
        {
            using var response = await anonymous.GetAsync(path, Ct);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {response.StatusCode}");
        }
    }

    [Fact]
    public async Task Each_role_may_do_its_part_and_is_refused_403_naming_the_roles_needed_beyond_it()
    {
        var body = new { name = "roles", stable = deployer.ModelVariant(), canary = deployer.ModelVariant(env: new() { ["V"] = "2" }) };

        // reader: reads only.
        using (var read = await SendAsync(DeployerHarness.Tokens["reader"], HttpMethod.Get, "/v1/routes"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        await AssertForbiddenAsync("reader", HttpMethod.Post, "/v1/deployments", body, "deployer, admin");

        // deployer: creates, cannot move traffic.
        using (var create = await SendAsync(DeployerHarness.Tokens["deployer"], HttpMethod.Post, "/v1/deployments", body))
        {
            Assert.Equal(HttpStatusCode.Accepted, create.StatusCode);
        }

        await deployer.WaitForReadyAsync("roles", Ct);
        await AssertForbiddenAsync("deployer", HttpMethod.Put, "/v1/deployments/roles/traffic", new { canary = 10 }, "operator, admin");

        // operator: moves traffic, cannot delete.
        using (var traffic = await SendAsync(DeployerHarness.Tokens["operator"], HttpMethod.Put, "/v1/deployments/roles/traffic", new { canary = 10 }))
        {
            Assert.Equal(HttpStatusCode.Accepted, traffic.StatusCode);
        }

        await AssertForbiddenAsync("operator", HttpMethod.Delete, "/v1/deployments/roles", null, "deployer, admin");

        // admin: everything.
        using (var rollback = await SendAsync(DeployerHarness.Tokens["admin"], HttpMethod.Post, "/v1/deployments/roles/rollback"))
        {
            Assert.Equal(HttpStatusCode.Accepted, rollback.StatusCode);
        }

        using (var delete = await SendAsync(DeployerHarness.Tokens["admin"], HttpMethod.Delete, "/v1/deployments/roles"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        await deployer.WaitForGoneAsync("roles", Ct);

        // The audit trail names each token's holder as the one who acted.
        var history = (await deployer.PageAsync("/v1/deployments/roles/history", Ct)).Items;
        Assert.Equal(
            [("delete", "test-admin"), ("rollback", "test-admin"), ("traffic", "test-operator"), ("create", "test-deployer")],
            history.Select(entry => (entry.Action, entry.Actor)));
    }

    [Fact]
    public async Task No_token_reaches_the_log_or_the_data_directory()
    {
        using (await SendAsync("a-guess-that-must-not-be-logged", HttpMethod.Get, "/v1/deployments"))
        {
        }

        using (await SendAsync(DeployerHarness.Tokens["reader"], HttpMethod.Get, "/v1/deployments"))
        {
        }

        var stored = string.Join('\n', Directory.EnumerateFiles(deployer.DataDirectory, "*", SearchOption.AllDirectories)
            .Where(file => !file.EndsWith(".log", StringComparison.Ordinal))
            .Select(file => System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(file))));
        foreach (var secret in DeployerHarness.Tokens.Values.Append("a-guess-that-must-not-be-logged"))
        {
            Assert.DoesNotContain(secret, deployer.Process.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        }
    }

    private async Task AssertForbiddenAsync(string role, HttpMethod method, string path, object? body, string needed)
    {
        using var response = await SendAsync(DeployerHarness.Tokens[role], method, path, body);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal($"The {role} role may not do this; it needs one of: {needed}.",
            (await DeployerHarness.ProblemAsync(response, Ct))["detail"]!.GetValue<string>());
    }

    private async Task<HttpResponseMessage> SendAsync(string token, HttpMethod method, string path, object? body = null)
    {
        using var client = new HttpClient { BaseAddress = deployer.BaseAddress };
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request, Ct);
    }
}
