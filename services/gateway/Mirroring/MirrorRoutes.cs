using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Routing;

namespace ModelPlatform.Gateway.Mirroring;

/// <summary>
/// Which models mirror, read from the route table in force: built again only when the table
/// changes, so asking about a model costs a reference comparison, and nothing at all while no model
/// mirrors.
/// </summary>
internal sealed class MirrorRoutes(RouteTableState state)
{
    private Targets _targets = Targets.None;

    /// <summary>The mirror of <paramref name="model"/>, or null when its stable requests are not copied.</summary>
    public MirrorTarget? For(string model)
    {
        var targets = Current();
        return targets.ByModel.Count == 0 ? null : targets.ByModel.GetValueOrDefault(model);
    }

    /// <summary>
    /// Whether <paramref name="canary"/> is <paramref name="model"/>'s canary now, mirrored to or not:
    /// a comparison paused with mirror 0 goes on when mirroring resumes.
    /// </summary>
    public bool IsCurrent(string model, string canary) => Current().Canaries.GetValueOrDefault(model) == canary;

    private Targets Current()
    {
        var table = state.Table;
        var targets = Volatile.Read(ref _targets);
        if (ReferenceEquals(targets.Table, table))
        {
            return targets;
        }

        // Two requests may build it at once after a change; either result is the same.
        targets = Build(table);
        Volatile.Write(ref _targets, targets);
        return targets;
    }

    private static Targets Build(RouteTable? table)
    {
        var byModel = new Dictionary<string, MirrorTarget>(StringComparer.Ordinal);
        var canaries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var model in table?.Models ?? [])
        {
            if (model.Variants.FirstOrDefault(variant => variant.Name == VariantNames.Canary) is not { } canary)
            {
                continue;
            }

            var replicaSet = canary.ReplicaSet ?? VariantNames.Canary;
            canaries[model.Name] = replicaSet;
            if (model.Mirror is > 0 and <= 100)
            {
                byModel[model.Name] = new MirrorTarget(model.Name, model.Mirror, replicaSet);
            }
        }

        return new Targets(table, byModel, canaries);
    }

    private sealed record Targets(RouteTable? Table, IReadOnlyDictionary<string, MirrorTarget> ByModel, IReadOnlyDictionary<string, string> Canaries)
    {
        public static Targets None { get; } = new(null, new Dictionary<string, MirrorTarget>(), new Dictionary<string, string>());
    }
}
