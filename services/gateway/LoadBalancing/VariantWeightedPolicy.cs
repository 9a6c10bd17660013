using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.LoadBalancing;

/// <summary>
/// Splits a model's traffic between its variants by their weights (smooth weighted round-robin),
/// then round-robins over the chosen variant's replicas. YARP hands it only the destinations that
/// health checks leave available, so a variant without a healthy replica drops out and the others
/// share its traffic; if every remaining variant has weight 0 (a dark canary left alone), they
/// share it equally rather than failing. A pick allocates nothing: it runs on every request.
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

        // A model has a handful of variants (stable, canary): they are gathered on the stack.
        var buffer = default(VariantBuffer);
        Span<(string Name, int Weight)> variants = buffer;
        var count = 0;
        List<(string Name, int Weight)>? more = null;
        for (var i = 0; i < availableDestinations.Count; i++)
        {
            var destination = availableDestinations[i];
            var variant = VariantMetadata.VariantOf(destination);
            if (IndexOf(variants[..count], variant) < 0 && IndexOf(CollectionsMarshal.AsSpan(more), variant) < 0)
            {
                if (count < variants.Length)
                {
                    variants[count++] = (variant, VariantMetadata.WeightOf(destination));
                }
                else
                {
                    (more ??= []).Add((variant, VariantMetadata.WeightOf(destination)));
                }
            }
        }

        // More variants than the stack holds (not made by today's route table) take the slow path.
        var candidates = more is null ? variants[..count] : [.. variants, .. more];
        var balance = _balances.GetValue(cluster, static _ => new ClusterBalance());
        var chosen = candidates.Length == 1 ? candidates[0].Name : balance.Split.Pick(Weighted(candidates));
        var cursor = balance.Next(chosen);
        var replicas = 0;
        for (var i = 0; i < availableDestinations.Count; i++)
        {
            replicas += VariantMetadata.VariantOf(availableDestinations[i]) == chosen ? 1 : 0;
        }

        var target = (int)((uint)cursor % (uint)replicas);
        for (var i = 0; i < availableDestinations.Count; i++)
        {
            if (VariantMetadata.VariantOf(availableDestinations[i]) == chosen && target-- == 0)
            {
                return availableDestinations[i];
            }
        }

        return availableDestinations[0];
    }

    /// <summary>The variants with a weight, in order; if none has one, all of them with equal weights. Rewrites <paramref name="variants"/>.</summary>
    private static Span<(string Name, int Weight)> Weighted(Span<(string Name, int Weight)> variants)
    {
        var weighted = 0;
        foreach (var variant in variants)
        {
            if (variant.Weight > 0)
            {
                variants[weighted++] = variant;
            }
        }

        if (weighted > 0)
        {
            return variants[..weighted];
        }

        foreach (ref var variant in variants)
        {
            variant.Weight = 1;
        }

        return variants;
    }

    private static int IndexOf(ReadOnlySpan<(string Name, int Weight)> variants, string name)
    {
        for (var i = 0; i < variants.Length; i++)
        {
            if (variants[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    [InlineArray(4)]
    private struct VariantBuffer
    {
        private (string Name, int Weight) _first;
    }

    /// <summary>A cluster's variant split and, per variant, where its replica round-robin stands.</summary>
    private sealed class ClusterBalance
    {
        private readonly ConcurrentDictionary<string, StrongBox<int>> _cursors = new(StringComparer.Ordinal);

        public SmoothWeightedRoundRobin Split { get; } = new();

        public int Next(string variant) => Interlocked.Increment(ref _cursors.GetOrAdd(variant, static _ => new StrongBox<int>(-1)).Value);
    }
}
