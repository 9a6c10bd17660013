using System.Text.Json.Nodes;

namespace ModelPlatform.Deployer.Tests.Kubernetes.Fake;

/// <summary>A refusal of the fake API, answered as the real one does: a <c>Status</c> object with code, reason and message.</summary>
public sealed class KubernetesStatusException(int code, string reason, string message) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public JsonObject ToJson() => Body(Code, Reason, Message);

    public static JsonObject Body(int code, string reason, string message) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = code < 300 ? "Success" : "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = code,
    };

    public static KubernetesStatusException NotFound(Resource resource, string name) =>
        new(404, "NotFound", $"{resource.Plural}{resource.GroupSuffix} \"{name}\" not found");

    public static KubernetesStatusException AlreadyExists(Resource resource, string name) =>
        new(409, "AlreadyExists", $"{resource.Plural}{resource.GroupSuffix} \"{name}\" already exists");

    public static KubernetesStatusException Invalid(Resource resource, string name, IReadOnlyList<string> causes) =>
        new(422, "Invalid", $"{resource.Kind}{resource.GroupSuffix} \"{name}\" is invalid: [{string.Join(", ", causes)}]");

    public static KubernetesStatusException BadRequest(string message) => new(400, "BadRequest", message);
}
