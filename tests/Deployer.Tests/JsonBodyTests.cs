using System.Text;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Api;

namespace ModelPlatform.Deployer.Tests;

/// <summary>How a request body that does not fit is reported: which field, and whether it is unknown, of the wrong type, or not JSON.</summary>
public sealed class JsonBodyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("""{"name": "a", "replica": 2}""", "replica", "is not a known field.")]
    [InlineData("""{"stable": {"model": {"format": "onnx", "sha": "x"}}}""", "stable.model.sha", "is not a known field.")]
    [InlineData("""{"access": {"apiKeys": [{"name": "a", "key": "k"}]}}""", "access.apiKeys[0].key", "is not a known field.")]
    [InlineData("""{"stable": {"model": {"format": "onnx", "a.b": 1}}}""", "stable.model['a.b']", "is not a known field.")]
    [InlineData("""{"stable": {"replicas": "two"}}""", "stable.replicas", "has the wrong type.")]
    [InlineData("""{"stable": {"replicas": null}}""", "stable.replicas", "has the wrong type.")]
    [InlineData("""{"stable": 5}""", "stable", "has the wrong type.")]
    [InlineData("""{"STABLE": {"REPLICAS": "two"}}""", "STABLE.REPLICAS", "has the wrong type.")]
    [InlineData("""{"stable": {"env": {"KEY": 1}}}""", "stable.env.KEY", "has the wrong type.")]
    [InlineData("""{"access": {"apiKeys": [{"name": 7}]}}""", "access.apiKeys[0].name", "has the wrong type.")]
    [InlineData("""[1, 2]""", "$", "has the wrong type.")]
    public async Task A_value_that_does_not_fit_names_its_field_and_why(string body, string field, string message)
    {
        var (value, errors) = await ReadAsync<DeploymentRequest>(body);

        Assert.Null(value);
        Assert.Equal([message], Assert.Contains(field, errors!));
        Assert.Single(errors!);
    }

    [Theory]
    [InlineData("""{"name": "broken", "stable": """)]
    [InlineData("""{"name": 'single'}""")]
    [InlineData("")]
    public async Task Text_that_is_not_json_is_an_error_of_the_whole_body(string body)
    {
        var (value, errors) = await ReadAsync<DeploymentRequest>(body);

        Assert.Null(value);
        Assert.StartsWith("is not valid JSON", Assert.Single(Assert.Contains("$", errors!)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nesting_deeper_than_the_limit_is_refused()
    {
        var body = string.Concat(Enumerable.Repeat("""{"a":""", 40)) + "1" + new string('}', 40);

        var (_, errors) = await ReadAsync<DeploymentRequest>(body);

        Assert.Contains("$", errors!);
    }

    [Fact]
    public async Task A_fitting_body_binds()
    {
        var (value, errors) = await ReadAsync<PromoteRequest>("""{"replicas": 3}""");

        Assert.Null(errors);
        Assert.Equal(3, value!.Replicas);
    }

    private static async Task<(T? Value, Dictionary<string, string[]>? Errors)> ReadAsync<T>(string body)
        where T : class
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(body));
        return await JsonBody.ReadAsync<T>(stream, Ct);
    }
}
