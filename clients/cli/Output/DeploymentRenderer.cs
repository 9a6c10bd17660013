using System.Globalization;
using ModelPlatform.Cli.Views;
using ModelPlatform.Cli.Waiting;
using Spectre.Console;

namespace ModelPlatform.Cli.Output;

/// <summary>Deployments for people: a table of many, the full status of one, a line per change while watching.</summary>
internal static class DeploymentRenderer
{
    public static Table List(IEnumerable<DeploymentView> deployments)
    {
        var table = new Table().Border(TableBorder.Simple)
            .AddColumns("NAME", "PHASE", "STABLE", "CANARY", "TRAFFIC", "REVISION");
        foreach (var deployment in deployments)
        {
            table.AddRow(
                Markup.Escape(deployment.Name),
                Markup.Escape(deployment.Status.Phase),
                Markup.Escape(Ready(deployment, "stable")),
                Markup.Escape(deployment.Canary is null ? "-" : Ready(deployment, "canary")),
                Markup.Escape(Traffic(deployment)),
                Markup.Escape(Revision(deployment)));
        }

        return table;
    }

    /// <summary>The status of one deployment as lines and tables, in the order a person asks about it.</summary>
    public static void Status(DeploymentView deployment, CliOutput output)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(output);
        output.Line($"{deployment.Name}: {deployment.Status.Phase} (revision {Revision(deployment)})");
        output.Line($"URL:     {deployment.Status.Url ?? "-"}");
        output.Line($"Traffic: {Traffic(deployment)}");

        var variants = new Table().Border(TableBorder.Simple).AddColumns("VARIANT", "RUNS", "READY", "RESTARTS");
        foreach (var (variant, spec) in new[] { ("stable", deployment.Stable), ("canary", deployment.Canary) })
        {
            if (spec is not null)
            {
                var status = deployment.VariantStatus(variant);
                variants.AddRow(
                    variant,
                    Markup.Escape(DeploymentView.Source(spec)),
                    Markup.Escape(Ready(deployment, variant)),
                    (status?.Restarts ?? 0).ToString(CultureInfo.InvariantCulture));
            }
        }

        output.Write(variants);
        foreach (var condition in deployment.Status.Conditions ?? [])
        {
            output.Line($"{condition.Type}: {condition.Status} ({condition.Reason}) {condition.Message}".TrimEnd());
        }
    }

    /// <summary>One line for a watch: the time and what changed.</summary>
    public static string WatchLine(DeploymentView deployment, DateTimeOffset now) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{now:HH:mm:ss}  {deployment.Status.Phase,-12} revision {Revision(deployment),-16} {PhaseLine.Replicas(deployment)}; traffic {Traffic(deployment)}");

    /// <summary>What a watch compares: a new line only when one of these changed.</summary>
    public static string WatchKey(DeploymentView deployment) =>
        $"{deployment.Status.Phase}|{deployment.Status.Revision}|{deployment.Status.ObservedRevision}|{PhaseLine.Replicas(deployment)}|{Traffic(deployment)}";

    public static string Traffic(DeploymentView deployment) => deployment.Traffic is { } traffic
        ? string.Create(CultureInfo.InvariantCulture, $"stable {traffic.Stable}%, canary {traffic.Canary}%")
        : "-";

    private static string Ready(DeploymentView deployment, string variant) =>
        deployment.VariantStatus(variant) is { } status
            ? string.Create(CultureInfo.InvariantCulture, $"{status.ReadyReplicas}/{status.Replicas} ready")
            : "-";

    private static string Revision(DeploymentView deployment) => deployment.Status.ObservedRevision >= deployment.Status.Revision
        ? string.Create(CultureInfo.InvariantCulture, $"{deployment.Status.Revision}")
        : string.Create(CultureInfo.InvariantCulture, $"{deployment.Status.Revision}, applying since {deployment.Status.ObservedRevision}");
}
