using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Features;

namespace ModelPlatform.Deployer.Api;

/// <summary>
/// Reads a request body strictly: unknown fields, wrong types and malformed JSON become field-level
/// errors (keyed by the JSON path) instead of a bare 400.
/// </summary>
/// <remarks>
/// The body is parsed first and bound second, so a <see cref="JsonException"/> says by where it
/// comes from whether the text is not JSON or does not fit the type. Which of the two misfits it is
/// comes from the type's own contract: a path that names a member is a value of the wrong type,
/// one that does not is an unknown field. Nothing depends on the wording of System.Text.Json's messages.
/// </remarks>
internal static class JsonBody
{
    private const int MaxDepth = 32;

    public static readonly JsonSerializerOptions Options = CreateOptions();

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth };

    public static Task<(T? Value, Dictionary<string, string[]>? Errors)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        return ReadAsync<T>(request.Body, cancellationToken);
    }

    /// <summary>As <see cref="ReadAsync{T}(HttpRequest, CancellationToken)"/> for a body that may be left out: then neither value nor errors.</summary>
    public static Task<(T? Value, Dictionary<string, string[]>? Errors)> ReadOptionalAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        var hasBody = request.ContentLength is not 0 &&
            request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != false;
        return hasBody ? ReadAsync<T>(request.Body, cancellationToken) : Task.FromResult<(T?, Dictionary<string, string[]>?)>((null, null));
    }

    public static async Task<(T? Value, Dictionary<string, string[]>? Errors)> ReadAsync<T>(Stream body, CancellationToken cancellationToken)
        where T : class
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(body, DocumentOptions, cancellationToken);
        }
        catch (JsonException ex)
        {
            return (null, new() { ["$"] = [$"is not valid JSON: {ex.Message}"] });
        }

        using (document)
        {
            try
            {
                var value = document.RootElement.Deserialize<T>(Options);
                return value is null
                    ? (null, new() { ["$"] = ["The body must be a JSON object."] })
                    : (value, null);
            }
            catch (JsonException ex)
            {
                var message = NamesMember(Options.GetTypeInfo(typeof(T)), Steps(ex.Path)) ? "has the wrong type." : "is not a known field.";
                return (null, new() { [Field(ex.Path)] = [message] });
            }
        }
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            MaxDepth = MaxDepth,
            NumberHandling = JsonNumberHandling.Strict,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Whether every step of <paramref name="path"/> names a property, an element or an entry of the type it is in.</summary>
    private static bool NamesMember(JsonTypeInfo root, IReadOnlyList<string> path)
    {
        var info = root;
        foreach (var step in path)
        {
            var next = info.Kind switch
            {
                JsonTypeInfoKind.Object => info.Properties.FirstOrDefault(property => string.Equals(
                    property.Name, step, Options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))?.PropertyType,
                JsonTypeInfoKind.Enumerable or JsonTypeInfoKind.Dictionary => info.ElementType,
                _ => null,
            };
            if (next is null)
            {
                return false;
            }

            info = Options.GetTypeInfo(Nullable.GetUnderlyingType(next) ?? next);
        }

        return true;
    }

    /// <summary>The field as the problem details name it: <c>stable.model.uri</c>, <c>access.apiKeys[0].name</c>, or <c>$</c> for the body.</summary>
    private static string Field(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "$" : path.TrimStart('$', '.');

    /// <summary>
    /// The steps of a path as <see cref="JsonException.Path"/> writes it (<c>$.a.b[0]['c.d']</c>):
    /// property names, entry keys and element indexes, unescaped.
    /// </summary>
    private static List<string> Steps(string? path)
    {
        var steps = new List<string>();
        var text = path ?? "$";
        var at = text.StartsWith('$') ? 1 : 0;
        while (at < text.Length)
        {
            var step = new StringBuilder();
            if (text[at] == '.')
            {
                for (at++; at < text.Length && text[at] is not ('.' or '['); at++)
                {
                    step.Append(text[at]);
                }
            }
            else if (text.AsSpan(at).StartsWith("['"))
            {
                for (at += 2; at < text.Length && !text.AsSpan(at).StartsWith("']"); at++)
                {
                    step.Append(text[at] == '\\' && at + 1 < text.Length ? text[++at] : text[at]);
                }

                at += 2;
            }
            else if (text[at] == '[')
            {
                for (at++; at < text.Length && text[at] != ']'; at++)
                {
                    step.Append(text[at]);
                }

                at++;
            }
            else
            {
                at++;
                continue;
            }

            steps.Add(step.ToString());
        }

        return steps;
    }
}
