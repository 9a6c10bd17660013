using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelPlatform.Cli.Connection;

namespace ModelPlatform.Cli.Http;

/// <summary>
/// Turns a refusal into a <see cref="CliFailure"/>: RFC 9457 problem details (title, detail, the
/// <c>errors</c> per field) when the answer has them, the status and body when it does not; the exit
/// code from the status; and a hint for the refusals a user can fix from here.
/// </summary>
internal static class ApiErrors
{
    /// <summary>The deployer's problem type for a create beyond Deployer:MaxDeployments (a 403 that is no matter of roles).</summary>
    public const string QuotaExceededType = "urn:modelplatform:problem:quota-exceeded";

    public static CliFailure FromAnswer(HttpStatusCode statusCode, string? reasonPhrase, string body, string server, ConnectionSettings? connection)
    {
        var status = (int)statusCode;
        var problem = TryParseObject(body);
        var type = Text(problem?["type"]);
        var answered = $"{server} answered {status} {reasonPhrase ?? statusCode.ToString()}";
        var title = Text(problem?["title"]) is { Length: > 0 } problemTitle ? $"{problemTitle.TrimEnd('.')} ({answered})" : answered;
        var detail = problem is null ? Excerpt(body) : Text(problem["detail"]);

        return new CliFailure(ExitCodeFor(status, type), title, detail, HintFor(status, type, server, connection))
        {
            Status = status,
            Problem = problem,
            FieldErrors = FieldErrors(problem),
        };
    }

    public static int ExitCodeFor(int status, string? problemType) => status switch
    {
        401 => ExitCodes.Unauthorized,
        403 when problemType == QuotaExceededType => ExitCodes.Rejected,
        403 => ExitCodes.Unauthorized,
        404 => ExitCodes.NotFound,
        400 or 409 or 412 or 413 or 415 or 422 or 429 => ExitCodes.Rejected,
        _ => ExitCodes.Unexpected,
    };

    /// <summary>A connection that failed (refused, reset, no such host) or an answer that never came.</summary>
    public static CliFailure Unreachable(Exception exception, string server, Uri address, string setting)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var reason = exception switch
        {
            HttpRequestException { InnerException: SocketException socket } => socket.Message,
            HttpRequestException http => http.Message,
            _ => exception.Message,
        };
        return new CliFailure(ExitCodes.Unreachable, $"Cannot reach {server} at {address}", reason,
            $"Is it running? The quickstart starts it with `dotnet run --project apphost`; elsewhere pass {setting}.", exception);
    }

    private static string? HintFor(int status, string? type, string server, ConnectionSettings? connection) => status switch
    {
        401 when connection is { Token: null } =>
            $"No token was sent: the CLI looked {connection.TokenSource}. Pass --token or --token-file, or set ${ConnectionSettings.TokenVariable}.",
        401 when connection is not null =>
            $"{server} does not accept the token from {connection.TokenSource}. Pass another with --token or --token-file, or set ${ConnectionSettings.TokenVariable}.",
        403 when type != QuotaExceededType => "The token's role may not do this (reader: read; deployer: deploy and delete; operator: traffic, promote, rollback; admin: all).",
        413 => "The body is larger than the server accepts.",
        _ => null,
    };

    private static IReadOnlyList<KeyValuePair<string, string[]>> FieldErrors(JsonObject? problem)
    {
        if (problem?["errors"] is not JsonObject errors)
        {
            return [];
        }

        return [.. errors.Select(pair => KeyValuePair.Create(pair.Key, pair.Value switch
        {
            JsonArray reasons => reasons.Select(reason => Text(reason) ?? reason?.ToJsonString() ?? string.Empty).ToArray(),
            var single => [Text(single) ?? single?.ToJsonString() ?? string.Empty],
        }))];
    }

    private static JsonObject? TryParseObject(string body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static string? Excerpt(string body)
    {
        var trimmed = body.Trim();
        return trimmed.Length == 0 ? null : trimmed.Length <= 500 ? trimmed : trimmed[..500] + " ...";
    }
}
