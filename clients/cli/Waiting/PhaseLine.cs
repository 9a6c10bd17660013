using System.Globalization;
using ModelPlatform.Cli.Views;

namespace ModelPlatform.Cli.Waiting;

/// <summary>One line per state a deployment passes through while the CLI waits for it.</summary>
internal static class PhaseLine
{
    public static string Format(DeploymentView view, TimeSpan elapsed) =>
        string.Create(CultureInfo.InvariantCulture, $"  {elapsed.TotalSeconds,6:0.00} s  {view.Status.Phase,-12} {Replicas(view)}");

    /// <summary><c>Provisioning, stable 0/1 ready, canary 1/1 ready</c>.</summary>
    public static string Describe(DeploymentView view) => $"{view.Status.Phase}, {Replicas(view)}";

    public static string Replicas(DeploymentView view) =>
        view.Status.Variants is not { Count: > 0 } variants
            ? "no replicas yet"
            : string.Join(", ", variants.OrderBy(v => v.Key == "stable" ? 0 : 1).Select(v =>
                string.Create(CultureInfo.InvariantCulture, $"{v.Key} {v.Value.ReadyReplicas}/{v.Value.Replicas} ready")));
}
