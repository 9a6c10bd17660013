using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.LoadBalancing;

/// <summary>
/// Splits a model's traffic between its variants by their weights (smooth weighted round-robin),
/// then round-robins over the chosen variant's replicas. YARP hands it only the destinations that
/// health checks leave available, so a variant without a healthy replica drops out and the others
/// share its traffic; if every remaining variant has weight 0 (a dark canary left alone), they
/// share it equally rather than failing.
/// </summary>
internal sealed class VariantWeightedPolicy : ILoadBalancingPolicy
{
    public const string PolicyName = "VariantWeighted";

    // Keyed weakly by the cluster: a deleted model's state goes with its cluster.
    private readonly ConditionalWeakTable<ClusterState, ClusterBalance> _balances = new();

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        switch (availableDestinations.Count)
        {
            case 0:
                return null;
            case 1:
                return availableDestinations[0];
        }

        var variants = new List<(string Name, int Weight)>(2);
        foreach (var destination in availableDestinations)
        {
            var variant = VariantMetadata.VariantOf(destination);
            if (!variants.Exists(v => v.Name == variant))
            {
                variants.Add((variant, VariantMetadata.WeightOf(destination)));
            }
        }

        string chosen;
        if (variants.Count == 1)
        {
            chosen = variants[0].Name;
        }
        else
        {
            var weighted = variants.Where(v => v.Weight > 0).ToList();
            chosen = Balance(cluster).Split.Pick(weighted.Count > 0 ? weighted : [.. variants.Select(v => (v.Name, 1))]);
        }

        var cursor = Balance(cluster).Next(chosen);
        var replicas = 0;
        foreach (var destination in availableDestinations)
        {
            replicas += VariantMetadata.VariantOf(destination) == chosen ? 1 : 0;
        }

        var target = (int)((uint)cursor % (uint)replicas);
        foreach (var destination in availableDestinations)
        {
            if (VariantMetadata.VariantOf(destination) == chosen && target-- == 0)
            {
                return destination;
            }
        }

        return availableDestinations[0];
    }

    private ClusterBalance Balance(ClusterState cluster) => _balances.GetValue(cluster, static _ => new ClusterBalance());

    /// <summary>A cluster's variant split and, per variant, where its replica round-robin stands.</summary>
    private sealed class ClusterBalance
    {
        private readonly ConcurrentDictionary<string, StrongBox<int>> _cursors = new(StringComparer.Ordinal);

        public SmoothWeightedRoundRobin Split { get; } = new();

        public int Next(string variant) => Interlocked.Increment(ref _cursors.GetOrAdd(variant, static _ => new StrongBox<int>(-1)).Value);
    }
}
