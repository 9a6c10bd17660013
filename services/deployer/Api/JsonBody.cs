using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModelPlatform.Deployer.Api;

/// <summary>
/// Reads a request body strictly: unknown fields, wrong types and malformed JSON become field-level
/// errors (keyed by the JSON path) instead of a bare 400.
/// </summary>
internal static class JsonBody
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        MaxDepth = 32,
        NumberHandling = JsonNumberHandling.Strict,
    };

    public static async Task<(T? Value, Dictionary<string, string[]>? Errors)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, Options, cancellationToken);
            return value is null
                ? (null, new() { ["$"] = ["The body must be a JSON object."] })
                : (value, null);
        }
        catch (JsonException ex)
        {
            var (field, message) = Describe(ex);
            return (null, new() { [field] = [message] });
        }
    }

    private static string Field(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "$" : path.TrimStart('$', '.');

    // Mapping and type errors belong to a field; a syntax error belongs to the body as a whole.
    private static (string Field, string Message) Describe(JsonException exception) => exception.Message switch
    {
        var m when m.Contains("could not be mapped", StringComparison.Ordinal) => (Field(exception.Path), "is not a known field."),
        var m when m.Contains("could not be converted", StringComparison.Ordinal) => (Field(exception.Path), "has the wrong type."),
        _ => ("$", "is not valid JSON: " + exception.Message.Split(" Path:", 2)[0]),
    };
}
