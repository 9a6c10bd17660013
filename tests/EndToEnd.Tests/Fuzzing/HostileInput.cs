using System.Text;
using System.Text.Json.Nodes;

namespace ModelPlatform.EndToEnd.Tests.Fuzzing;

/// <summary>
/// Generates malformed and hostile input from a seed: strings, numbers and JSON shapes that are
/// each invalid where they are put, so a fuzz run may never store anything.
/// </summary>
internal sealed class HostileInput(int seed, string modelRoot)
{
    private readonly Random _random = new(seed);

    /// <summary>None of these is a valid DNS-1035 name, environment variable name or quantity.</summary>
    private static readonly string[] Strings =
    [
        "", " ", "-", "--", "a--", "1abc", "A", "Ab", "name_with_underscore", "name.with.dots", "..", "../..",
        "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "/etc/passwd", "C:\\Windows\\System32", "\0", "a\0b",
        "名前", "😀", "\u202emodel", "\ud800", "\uffff", "Ｍodel", "model\u200b", "{{7*7}}", "${jndi:ldap://x/a}",
        "'; DROP TABLE deployments;--", "$(reboot)", "`id`", "<script>alert(1)</script>", "\r\nX-Injected: 1",
        "%00", "%", "%%", "?", "#", "*", "\\", "/", "//", "a/b", new string('a', 64), new string('z', 100_000),
        string.Concat(Enumerable.Repeat("😀", 5_000)), "NaN", "Infinity", "-1", "1e308", "0x10", "Null",
    ];

    private static readonly string[] Quantities = ["-1", "-500m", "1.5.5", "abc", "1Qi", "--1", "", "∞", "0x1", "1 Gi"];

    private static readonly JsonNode?[] Numbers =
    [
        -1, -2147483648, 11, 1001, 2147483647, 9223372036854775807, -9223372036854775808, 1e308, -1e308, 1.5, -0.0001,
        JsonNode.Parse("99999999999999999999999999999999"), JsonNode.Parse("1e400"),
    ];

    public string AnyString() => Pick(Strings);

    public JsonNode? AnyNumber() => Pick(Numbers)?.DeepClone();

    /// <summary>A model URI that must be refused: outside every model root, another scheme, or no file.</summary>
    public string HostileUri() => _random.Next(8) switch
    {
        0 => Path.Combine(modelRoot, "..", "..", "etc", "passwd"),
        1 => $"file://{modelRoot}/../../../etc/shadow",
        2 => "http://169.254.169.254/latest/meta-data/model.onnx",
        3 => "s3://bucket/model.onnx",
        4 => $"{modelRoot}/does-not-exist-{_random.Next()}.onnx",
        5 => "/proc/self/environ",
        6 => $"{modelRoot}\0/../../etc/passwd",
        _ => AnyString(),
    };

    /// <summary>Any JSON value, up to <paramref name="depth"/> levels deep.</summary>
    public JsonNode? AnyJson(int depth = 4)
    {
        switch (_random.Next(depth <= 0 ? 4 : 7))
        {
            case 0: return null;
            case 1: return JsonValue.Create(AnyString());
            case 2: return AnyNumber();
            case 3: return JsonValue.Create(_random.Next(2) == 0);
            case 4:
                var array = new JsonArray();
                for (var i = _random.Next(4); i > 0; i--)
                {
                    array.Add(AnyJson(depth - 1));
                }

                return array;
            default:
                var item = new JsonObject();
                for (var i = _random.Next(5); i > 0; i--)
                {
                    item[Pick(["name", "stable", "canary", "traffic", "model", "uri", "replicas", AnyString()])] = AnyJson(depth - 1);
                }

                return item;
        }
    }

    /// <summary>A deployment request with one hostile field: a valid one is never made.</summary>
    public JsonObject HostileDeployment(string validModel)
    {
        var name = "fuzz-" + _random.Next(1_000_000);
        var stable = new JsonObject { ["model"] = new JsonObject { ["format"] = "onnx", ["uri"] = validModel }, ["replicas"] = 1 };
        var request = new JsonObject { ["name"] = name, ["stable"] = stable };
        switch (_random.Next(18))
        {
            case 0: request["name"] = AnyString(); break;
            case 1: request["name"] = AnyJson() is { } notString && notString.GetValueKind() != System.Text.Json.JsonValueKind.String ? notString : AnyNumber(); break;
            case 2: stable["model"]!["uri"] = HostileUri(); break;
            case 3: stable["model"]!["format"] = Pick(["tensorflow", "ONNX ", "", "onnx\0", "pickle"]); break;
            case 4: stable["replicas"] = Pick<JsonNode?>([-1, 11, 2147483647, 1e308, "1", 1.5, JsonNode.Parse("1e400")]); break;
            case 5: stable["resources"] = new JsonObject { ["cpu"] = Pick(Quantities) }; break;
            case 6: stable["resources"] = new JsonObject { ["memory"] = Pick(Quantities) }; break;
            case 7: stable["resources"] = new JsonObject { ["gpu"] = Pick<JsonNode?>([-1, 65, 2147483647, "1"]) }; break;
            case 8: stable["env"] = new JsonObject { [Pick(["", "1A", "A=B", "PORT", "MODEL_URI", "A B", "\0", "😀", new string('E', 100_000)])] = AnyString() }; break;
            case 9: stable["image"] = Pick(["", "UPPER/case", "image:tag:tag", "a@sha256:xyz", "../image", "image name", new string('i', 10_000)]); break;
            case 10: request["canary"] = AnyJson(2) ?? new JsonObject { ["replicas"] = -1 }; request["traffic"] = new JsonObject { ["canary"] = 101 }; break;
            case 11: request["traffic"] = new JsonObject { ["canary"] = AnyNumber() }; request["canary"] = stable.DeepClone(); break;
            case 12: request[AnyString() + "_unknown"] = AnyJson(2); break;
            case 13: stable[AnyString() + "_unknown"] = AnyJson(2); break;
            case 14: request["stable"] = AnyJson(2) is JsonObject other && other.Count > 0 ? other : JsonValue.Create(AnyString()); break;
            case 15:
                request["access"] = new JsonObject
                {
                    ["apiKeys"] = new JsonArray(new JsonObject { ["name"] = AnyString(), ["sha256"] = Pick(["", "zz", new string('a', 65), AnyString()]) }),
                };
                break;
            case 16: request["limits"] = new JsonObject { ["requestsPerSecond"] = Pick<JsonNode?>([0, -1, 1_000_001, "5", 1.5]), ["burst"] = AnyNumber() }; break;
            default: stable["model"] = AnyJson(2) is JsonObject model && model.Count > 0 ? model : new JsonObject { ["uri"] = HostileUri() }; break;
        }

        return request;
    }

    /// <summary>A body that is not what its content type says, or over a limit.</summary>
    public HttpContent MalformedBody() => _random.Next(8) switch
    {
        0 => new StringContent("{\"name\": \"trunc", Encoding.UTF8, "application/json"),
        1 => new ByteArrayContent([0xff, 0xfe, 0xc3, 0x28, 0x7b, 0x7d]) { Headers = { ContentType = new("application/json") } },
        2 => new StringContent(new string('[', 5_000) + new string(']', 5_000), Encoding.UTF8, "application/json"),
        3 => new StringContent("{\"name\":\"x\",\"name\":\"y\"}", Encoding.UTF8, "application/json"),
        4 => new ByteArrayContent(new byte[2 * 1024 * 1024]) { Headers = { ContentType = new("application/json") } },
        5 => new StringContent("name=x&replicas=1", Encoding.UTF8, "application/x-www-form-urlencoded"),
        6 => new StringContent("", Encoding.UTF8, "application/json"),
        _ => new StringContent(AnyJson()?.ToJsonString() ?? "null")
        {
            Headers = { ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(Pick(["text/plain", "application/xml", "application/json; charset=utf-16"])) },
        },
    };

    public HttpMethod AnyMethod() => Pick([HttpMethod.Get, HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Head, HttpMethod.Options]);

    public string Escaped(string value) => _random.Next(3) == 0 ? value : Uri.EscapeDataString(value);

    public int Next(int max) => _random.Next(max);

    public T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];
}
