using System.Net;
using ModelPlatform.Cli.Connection;
using ModelPlatform.Cli.Http;
using ModelPlatform.Cli.Output;

namespace ModelPlatform.Cli.Tests;

/// <summary>Refusals in plain words: the problem's title and detail, each field with its reason, a hint, and the exit code.</summary>
public sealed class ProblemRenderingTests
{
    private static readonly ConnectionSettings WithToken = new(new Uri("http://127.0.0.1:5100/"), "t0ken", "$MODELPLATFORM_TOKEN", null);

    [Fact]
    public void A_validation_problem_names_every_field_and_reason_and_exits_5()
    {
        const string body = """
            {"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more validation errors occurred.","status":400,
             "errors":{"stable.replicas":["must be 0 to 10."],"stable.env.LD_PRELOAD":["changes the code a replica loads.","is refused."]}}
            """;

        var failure = ApiErrors.FromAnswer(HttpStatusCode.BadRequest, "Bad Request", body, "the deployer", WithToken);
        var lines = ProblemRenderer.Lines(failure);

        Assert.Equal(ExitCodes.Rejected, failure.ExitCode);
        Assert.Equal("Error: One or more validation errors occurred (the deployer answered 400 Bad Request)", lines[0]);
        Assert.Contains("  - stable.replicas: must be 0 to 10.", lines);
        Assert.Contains("  - stable.env.LD_PRELOAD: changes the code a replica loads.", lines);
        Assert.Contains("  - stable.env.LD_PRELOAD: is refused.", lines);
    }

    [Fact]
    public void A_problem_detail_is_shown_under_its_title()
    {
        const string body = """{"title":"Conflict","status":409,"detail":"Deployment 'fraud' exists with a different spec."}""";

        var lines = ProblemRenderer.Lines(ApiErrors.FromAnswer(HttpStatusCode.Conflict, "Conflict", body, "the deployer", WithToken));

        Assert.Equal(["Error: Conflict (the deployer answered 409 Conflict)", "  Deployment 'fraud' exists with a different spec."], lines);
    }

    [Fact]
    public void Unauthorized_without_a_token_says_where_the_cli_looked_and_exits_4()
    {
        var none = WithToken with { Token = null, TokenSource = "nowhere (no --token)" };

        var failure = ApiErrors.FromAnswer(HttpStatusCode.Unauthorized, "Unauthorized", """{"title":"Unauthorized","status":401}""", "the deployer", none);

        Assert.Equal(ExitCodes.Unauthorized, failure.ExitCode);
        Assert.Contains("No token was sent: the CLI looked nowhere (no --token)", failure.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Unauthorized_with_a_token_names_where_the_token_came_from_never_the_token()
    {
        var failure = ApiErrors.FromAnswer(HttpStatusCode.Unauthorized, "Unauthorized", """{"title":"Unauthorized","status":401}""", "the deployer", WithToken);
        var text = string.Join('\n', ProblemRenderer.Lines(failure));

        Assert.Contains("$MODELPLATFORM_TOKEN", text, StringComparison.Ordinal);
        Assert.DoesNotContain("t0ken", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(403, "urn:modelplatform:problem:quota-exceeded", ExitCodes.Rejected)]
    [InlineData(403, null, ExitCodes.Unauthorized)]
    [InlineData(404, null, ExitCodes.NotFound)]
    [InlineData(412, null, ExitCodes.Rejected)]
    [InlineData(413, null, ExitCodes.Rejected)]
    [InlineData(429, null, ExitCodes.Rejected)]
    [InlineData(500, null, ExitCodes.Unexpected)]
    [InlineData(502, null, ExitCodes.Unexpected)]
    public void The_exit_code_follows_the_status_and_problem_type(int status, string? type, int expected) =>
        Assert.Equal(expected, ApiErrors.ExitCodeFor(status, type));

    [Fact]
    public void An_answer_without_problem_details_shows_its_status_and_body()
    {
        var failure = ApiErrors.FromAnswer(HttpStatusCode.BadGateway, "Bad Gateway", "upstream refused", "the gateway", null);

        Assert.Equal(["Error: the gateway answered 502 Bad Gateway", "  upstream refused"], ProblemRenderer.Lines(failure));
    }

    [Fact]
    public void Json_output_carries_the_problem_as_the_server_sent_it()
    {
        const string body = """{"title":"Deployment quota exceeded","status":403,"type":"urn:modelplatform:problem:quota-exceeded","quota":{"limit":2,"used":2}}""";

        var json = ProblemRenderer.Json(ApiErrors.FromAnswer(HttpStatusCode.Forbidden, "Forbidden", body, "the deployer", WithToken));

        Assert.Equal(ExitCodes.Rejected, json["error"]!["exitCode"]!.GetValue<int>());
        Assert.Equal(403, json["error"]!["status"]!.GetValue<int>());
        Assert.Equal(2, json["error"]!["problem"]!["quota"]!["limit"]!.GetValue<int>());
    }
}
