using System.Text.Json.Nodes;

namespace ModelPlatform.Cli.Output;

/// <summary>
/// A failure in plain words on stderr: what went wrong, what the server said about it (RFC 9457's
/// title and detail), each field it named with the reason, and what to try. With <c>--output json</c>
/// the same as one JSON object, the server's problem details included as they came.
/// </summary>
internal static class ProblemRenderer
{
    public static IReadOnlyList<string> Lines(CliFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var lines = new List<string> { $"Error: {failure.Title}" };
        if (!string.IsNullOrWhiteSpace(failure.Detail))
        {
            lines.AddRange(failure.Detail.Trim().Split('\n').Select(line => "  " + line.TrimEnd('\r')));
        }

        foreach (var (field, reasons) in failure.FieldErrors)
        {
            foreach (var reason in reasons)
            {
                lines.Add(field is "$" or "" ? $"  - {reason}" : $"  - {field}: {reason}");
            }
        }

        if (!string.IsNullOrWhiteSpace(failure.Hint))
        {
            lines.Add($"Hint: {failure.Hint}");
        }

        return lines;
    }

    public static JsonObject Json(CliFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var errors = new JsonObject();
        foreach (var (field, reasons) in failure.FieldErrors)
        {
            errors[field] = new JsonArray([.. reasons.Select(reason => (JsonNode?)JsonValue.Create(reason))]);
        }

        return new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["exitCode"] = failure.ExitCode,
                ["title"] = failure.Title,
                ["detail"] = failure.Detail,
                ["status"] = failure.Status,
                ["errors"] = errors,
                ["hint"] = failure.Hint,
                ["problem"] = failure.Problem?.DeepClone(),
            },
        };
    }

    public static void Write(CliFailure failure, CliOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.IsJson)
        {
            output.Error.WriteLine(Json(failure).ToJsonString(CliOutput.Compact));
            return;
        }

        foreach (var line in Lines(failure))
        {
            output.Error.WriteLine(line);
        }
    }
}
