using System.Net.Http.Json;
using System.Text.Json.Nodes;
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
            "get /v1/deployments/{name}/history", "get /v1/audit",
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
    public async Task The_interactive_api_page_is_served()
    {
        using var response = await deployer.Client.GetAsync("/scalar/v1", Ct);

        Assert.True(response.IsSuccessStatusCode);
        Assert.Contains("text/html", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
    }
}
