using ModelPlatform.Gateway.LoadBalancing;

namespace ModelPlatform.Gateway.Tests.LoadBalancing;

public sealed class SmoothWeightedRoundRobinTests
{
    [Theory]
    [InlineData(90, 10)]
    [InlineData(50, 50)]
    [InlineData(1, 99)]
    [InlineData(100, 0)]
    public void Every_window_of_the_weights_total_splits_exactly(int stable, int canary)
    {
        var split = new SmoothWeightedRoundRobin();
        (string, int)[] candidates = [("stable", stable), ("canary", canary)];

        for (var window = 0; window < 3; window++)
        {
            var picks = Enumerable.Range(0, stable + canary).Select(_ => split.Pick(candidates)).ToList();
            Assert.Equal(canary, picks.Count(pick => pick == "canary"));
        }
    }

    [Fact]
    public void Picks_of_the_smaller_weight_are_spread_out_not_bunched()
    {
        var split = new SmoothWeightedRoundRobin();
        (string, int)[] candidates = [("stable", 90), ("canary", 10)];

        var picks = Enumerable.Range(0, 100).Select(_ => split.Pick(candidates)).ToList();
        var positions = picks.Select((pick, index) => (pick, index)).Where(p => p.pick == "canary").Select(p => p.index).ToList();

        Assert.All(positions.Zip(positions.Skip(1)), pair => Assert.Equal(10, pair.Second - pair.First));
    }

    [Fact]
    public void Equal_weights_alternate()
    {
        var split = new SmoothWeightedRoundRobin();
        (string, int)[] candidates = [("stable", 1), ("canary", 1)];

        var picks = Enumerable.Range(0, 6).Select(_ => split.Pick(candidates)).ToList();

        Assert.All(picks.Zip(picks.Skip(1)), pair => Assert.NotEqual(pair.First, pair.Second));
    }

    [Fact]
    public void A_variant_that_comes_back_after_an_absence_gets_its_share_without_a_burst()
    {
        var split = new SmoothWeightedRoundRobin();
        (string, int)[] both = [("stable", 50), ("canary", 50)];
        (string, int)[] stableOnly = [("stable", 50)];

        for (var i = 0; i < 7; i++)
        {
            split.Pick(both);
        }

        // The canary is out of rotation (no healthy replica) for a while, then returns.
        for (var i = 0; i < 1000; i++)
        {
            split.Pick(stableOnly);
        }

        var picks = Enumerable.Range(0, 10).Select(_ => split.Pick(both)).ToList();
        Assert.InRange(picks.Count(pick => pick == "canary"), 4, 6);
    }
}
