using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelPlatform.Contracts;
using ModelPlatform.Testing;

namespace ModelPlatform.Deployer.Tests;

/// <summary>The OpenAPI document describes every endpoint the API serves, and the API page is served.</summary>
public sealed class OpenApiTests(DeployerFixture deployer) : IClassFixture<DeployerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_openapi_document_lists_every_operation()
    {
        var document = await deployer.Client.GetFromJsonAsync<JsonObject>("/openapi/v1.json", Ct);
        var paths = document!["paths"]!.AsObject();

        string[] expected =
        [
            "post /v1/deployments", "get /v1/deployments", "get /v1/deployments/{name}", "put /v1/deployments/{name}",
            "delete /v1/deployments/{name}", "put /v1/deployments/{name}/traffic", "post /v1/deployments/{name}/promote",
            "post /v1/deployments/{name}/rollback", "get /v1/deployments/{name}/logs", "get /v1/routes",
            "get /v1/deployments/{name}/history", "get /v1/audit", "get /v1/deployments/{name}/comparison", "post /v1/telemetry/comparisons",
        ];
        foreach (var operation in expected)
        {
            var (method, path) = (operation.Split(' ')[0], operation.Split(' ')[1]);
            Assert.True(paths[path]?[method] is not null, $"{operation} is missing from the OpenAPI document");
        }

        Assert.NotNull(paths["/v1/deployments"]!["post"]!["summary"]);
        Assert.NotNull(paths["/v1/audit"]!["get"]!["summary"]);
        Assert.NotNull(paths["/v1/deployments/{name}/history"]!["get"]!["summary"]);
        Assert.NotNull(paths["/v1/deployments"]!["post"]!["responses"]!["403"]);
    }

    [Fact]
    public async Task The_openapi_document_declares_the_bearer_scheme_and_what_each_operation_needs()
    {
        var document = await deployer.Client.GetFromJsonAsync<JsonObject>("/openapi/v1.json", Ct);

        var scheme = document!["components"]!["securitySchemes"]!["Bearer"]!;
        Assert.Equal("http", scheme["type"]!.GetValue<string>());
        Assert.Equal("bearer", scheme["scheme"]!.GetValue<string>());
        var traffic = document["paths"]!["/v1/deployments/{name}/traffic"]!["put"]!;
        Assert.NotNull(traffic["security"]!.AsArray().Single()!["Bearer"]);
        Assert.Contains("operator or admin", traffic["description"]!.GetValue<string>(), StringComparison.Ordinal);
        foreach (var status in new[] { "401", "403", "429" })
        {
            Assert.NotNull(traffic["responses"]![status]);
        }
    }

    [Fact]
    public async Task The_request_examples_deploy_as_they_are()
    {
        var document = await deployer.Client.GetFromJsonAsync<JsonObject>("/openapi/v1.json", Ct);
        var paths = document!["paths"]!;

        var create = Assert.Single(Examples(paths["/v1/deployments"]!["post"]!));
        var name = create["name"]!.GetValue<string>();
        Assert.DoesNotContain("null", create.ToJsonString(), StringComparison.Ordinal);
        await SendAsync(HttpMethod.Post, "/v1/deployments", create);
        var ready = await deployer.WaitForReadyAsync(name, Ct);
        Assert.Equal(2, ready.Status.Variants[VariantNames.Stable].ReadyReplicas);

        var addCanary = Assert.Single(Examples(paths["/v1/deployments/{name}"]!["put"]!));
        await SendAsync(HttpMethod.Put, $"/v1/deployments/{name}", addCanary);
        foreach (var traffic in Examples(paths["/v1/deployments/{name}/traffic"]!["put"]!))
        {
            await SendAsync(HttpMethod.Put, $"/v1/deployments/{name}/traffic", traffic);
        }

        var promote = Assert.Single(Examples(paths["/v1/deployments/{name}/promote"]!["post"]!));
        await SendAsync(HttpMethod.Post, $"/v1/deployments/{name}/promote", promote);
        var promoted = await deployer.GetAsync(name, Ct);
        Assert.Null(promoted!.Canary);
        Assert.Equal((3, "candidate"), (promoted.Stable.Replicas, promoted.Stable.Env!["RELEASE"]));
        using var delete = await deployer.Client.DeleteAsync($"/v1/deployments/{name}", Ct);
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
    }

    private static IEnumerable<JsonNode> Examples(JsonNode operation)
    {
        var examples = operation["requestBody"]!["content"]!["application/json"]!["examples"]!.AsObject();
        Assert.NotEmpty(examples);
        return examples.Select(example => example.Value!["value"]!);
    }

    private async Task SendAsync(HttpMethod method, string path, JsonNode body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        using var response = await deployer.Client.SendAsync(request, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{method} {path} {body.ToJsonString()}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    [Fact]
    public async Task The_interactive_api_page_is_served()
    {
        using var response = await deployer.Client.GetAsync("/scalar/v1", Ct);

        Assert.True(response.IsSuccessStatusCode);
        Assert.Contains("text/html", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
    }
}
