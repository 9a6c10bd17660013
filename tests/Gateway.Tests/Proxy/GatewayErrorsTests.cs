using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ModelPlatform.Gateway.Proxy;

namespace ModelPlatform.Gateway.Tests.Proxy;

public sealed class GatewayErrorsTests
{
    [Theory]
    [InlineData("/v2/models/m/infer")]
    [InlineData("/v2")]
    public async Task On_v2_paths_an_error_is_the_protocols_error_object(string path)
    {
        var (status, contentType, body) = await WriteAsync(path, 503, "No healthy replica", "Model 'm' has no healthy replica.");

        Assert.Equal(503, status);
        Assert.Equal("application/json", contentType?.Split(';')[0]);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("Model 'm' has no healthy replica.", json.RootElement.GetProperty("error").GetString());
        Assert.Single(json.RootElement.EnumerateObject());
    }

    [Theory]
    [InlineData("/models/m/predict")]
    [InlineData("/v2x/models")]
    public async Task Elsewhere_an_error_is_problem_details(string path)
    {
        var (status, contentType, body) = await WriteAsync(path, 401, "API key required", "Model 'm' needs an API key.");

        Assert.Equal(401, status);
        Assert.Equal("application/problem+json", contentType?.Split(';')[0]);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("Model 'm' needs an API key.", json.RootElement.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("GET", "/v2/health/ready", true)]
    [InlineData("GET", "/v2/models/m/ready", true)]
    [InlineData("HEAD", "/v2/models/m/versions/1/ready", true)]
    [InlineData("POST", "/v2/models/m/ready", false)]
    [InlineData("GET", "/v2/models/m/infer", false)]
    [InlineData("GET", "/models/m/ready", false)]
    public void Readiness_questions_are_the_v2_ready_paths(string method, string path, bool readiness)
    {
        var context = new DefaultHttpContext { Request = { Method = method, Path = path } };

        Assert.Equal(readiness, GatewayErrors.IsV2Readiness(context.Request));
    }

    private static async Task<(int Status, string? ContentType, string Body)> WriteAsync(string path, int status, string title, string detail)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddProblemDetails();
        services.AddSingleton<GatewayErrors>();
        await using var provider = services.BuildServiceProvider();
        using var body = new MemoryStream();
        var context = new DefaultHttpContext { RequestServices = provider, Request = { Path = path, Method = "POST" }, Response = { Body = body } };
        context.Request.Headers.Accept = "application/json";

        await provider.GetRequiredService<GatewayErrors>().WriteAsync(context, status, title, detail);

        return (context.Response.StatusCode, context.Response.ContentType, System.Text.Encoding.UTF8.GetString(body.ToArray()));
    }
}
