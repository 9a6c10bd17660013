using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModelPlatform.Cli.Views;

/// <summary>
/// The parts of a deployment the CLI shows, read leniently: fields a newer deployer adds are
/// ignored, so the tool keeps working against it (the service's own contract types refuse unknown fields).
/// </summary>
internal sealed record DeploymentView(
    string Name,
    JsonObject? Stable,
    JsonObject? Canary,
    TrafficView? Traffic,
    StatusView Status)
{
    public static DeploymentView From(JsonNode node) =>
        node.Deserialize(ViewJsonContext.Default.DeploymentView) ?? throw new CliFailure(ExitCodes.Unexpected, "The deployer's answer is not a deployment.", node.ToJsonString());

    public VariantStatusView? VariantStatus(string variant) => Status.Variants?.GetValueOrDefault(variant);

    /// <summary>The model URI or image a variant runs, for tables.</summary>
    public static string Source(JsonObject? variant) =>
        variant?["model"]?["uri"]?.ToString() ?? variant?["image"]?.ToString() ?? "-";

    /// <summary>The revision is applied, and applied as a deployment that serves.</summary>
    public bool IsSettled => Status.ObservedRevision >= Status.Revision && Status.Phase is "Ready" or "Failed" or "Degraded";
}

internal sealed record TrafficView(int Stable, int Canary);

internal sealed record StatusView(
    string Phase,
    long Revision,
    long ObservedRevision,
    string? Url,
    Dictionary<string, VariantStatusView>? Variants,
    List<ConditionView>? Conditions)
{
    /// <summary>The message of the <c>Ready</c> condition: why a deployment is not ready, or failed.</summary>
    public string? ReadyMessage => Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Message;
}

internal sealed record VariantStatusView(int Replicas, int ReadyReplicas, List<string>? Endpoints, int Restarts);

internal sealed record ConditionView(string Type, string Status, string? Reason, string? Message, DateTimeOffset? LastTransitionTime);
