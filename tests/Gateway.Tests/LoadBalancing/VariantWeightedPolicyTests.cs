using Microsoft.AspNetCore.Http;
using ModelPlatform.Gateway.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.Tests.LoadBalancing;

public sealed class VariantWeightedPolicyTests
{
    private readonly VariantWeightedPolicy _policy = new();
    private readonly ClusterState _cluster = new("model-m");
    private readonly DefaultHttpContext _context = new();

    [Fact]
    public void Traffic_splits_between_variants_by_their_weights()
    {
        DestinationState[] destinations = [Destinations.Of("stable", 80, 0), Destinations.Of("stable", 80, 1), Destinations.Of("canary", 20, 2)];

        var picks = Pick(destinations, 100);

        Assert.Equal(20, picks.Count(d => VariantMetadata.VariantOf(d) == "canary"));
    }

    [Fact]
    public void A_variants_replicas_share_its_traffic_in_turn()
    {
        DestinationState[] destinations = [Destinations.Of("stable", 50, 0), Destinations.Of("stable", 50, 1), Destinations.Of("canary", 50, 2)];

        var stable = Pick(destinations, 100).Where(d => VariantMetadata.VariantOf(d) == "stable").ToList();

        Assert.Equal(25, stable.Count(d => d == destinations[0]));
        Assert.Equal(25, stable.Count(d => d == destinations[1]));
    }

    [Fact]
    public void A_dark_canary_gets_nothing_while_the_stable_is_available()
    {
        DestinationState[] destinations = [Destinations.Of("stable", 100, 0), Destinations.Of("canary", 0, 1)];

        Assert.All(Pick(destinations, 50), d => Assert.Equal("stable", VariantMetadata.VariantOf(d)));
    }

    [Fact]
    public void A_dark_canary_takes_the_traffic_when_it_is_all_that_is_left()
    {
        DestinationState[] destinations = [Destinations.Of("canary", 0, 0), Destinations.Of("canary", 0, 1)];

        var picks = Pick(destinations, 10);

        Assert.Equal(5, picks.Count(d => d == destinations[0]));
        Assert.Equal(5, picks.Count(d => d == destinations[1]));
    }

    [Fact]
    public void Variants_all_at_weight_zero_share_equally()
    {
        DestinationState[] destinations = [Destinations.Of("stable", 0, 0), Destinations.Of("canary", 0, 1)];

        var picks = Pick(destinations, 10);

        Assert.Equal(5, picks.Count(d => VariantMetadata.VariantOf(d) == "canary"));
    }

    [Fact]
    public void No_destination_picks_none_and_one_picks_it()
    {
        var only = Destinations.Of("canary", 0);

        Assert.Null(_policy.PickDestination(_context, _cluster, []));
        Assert.Same(only, _policy.PickDestination(_context, _cluster, [only]));
    }

    [Fact]
    public void Clusters_keep_their_own_split()
    {
        DestinationState[] destinations = [Destinations.Of("stable", 50, 0), Destinations.Of("canary", 50, 1)];
        var other = new ClusterState("model-other");

        var first = _policy.PickDestination(_context, _cluster, destinations);
        var otherFirst = _policy.PickDestination(_context, other, destinations);

        Assert.Same(first, otherFirst);
    }

    [Fact]
    public void Picking_between_variants_allocates_nothing()
    {
        DestinationState[] destinations = [Destinations.Of("stable", 80, 0), Destinations.Of("stable", 80, 1), Destinations.Of("canary", 20, 2)];
        // The first picks make the cluster's split and the variants' cursors.
        Pick(destinations, 10);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            _policy.PickDestination(_context, _cluster, destinations);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void More_variants_than_usual_still_split_by_weight()
    {
        DestinationState[] destinations = [.. Enumerable.Range(0, 6).Select(i => Destinations.Of($"v{i}", i == 5 ? 50 : 10, i))];

        var picks = Pick(destinations, 100);

        Assert.Equal(50, picks.Count(d => VariantMetadata.VariantOf(d) == "v5"));
        Assert.All(Enumerable.Range(0, 5), i => Assert.Equal(10, picks.Count(d => VariantMetadata.VariantOf(d) == $"v{i}")));
    }

    private List<DestinationState> Pick(IReadOnlyList<DestinationState> destinations, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => _policy.PickDestination(_context, _cluster, destinations)!)];
}
