using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Mirroring;
using ModelPlatform.Gateway.Routing;

namespace ModelPlatform.Gateway.Tests.Mirroring;

/// <summary>Which models mirror, as the route table says, and what asking costs when none does.</summary>
public sealed class MirrorRoutesTests
{
    private static RouteTable Table(int mirror) => new(1, [new ModelRoute("m", [
        new VariantRoute(VariantNames.Stable, 100, ["http://127.0.0.1:1"], ReplicaSet: "m-aaa"),
        new VariantRoute(VariantNames.Canary, 0, ["http://127.0.0.1:2"], ReplicaSet: "m-bbb")], Mirror: mirror)]);

    [Fact]
    public void A_model_mirrors_to_its_canary_replica_set_and_only_while_the_table_says_so()
    {
        var state = new RouteTableState(TimeProvider.System);
        var routes = new MirrorRoutes(state);
        state.Applied(Table(25));

        var target = routes.For("m");
        Assert.Equal((25, "m-bbb"), (target!.Percent, target.Canary));
        Assert.Null(routes.For("other"));
        Assert.Equal([true, false, false, false, true], Enumerable.Range(0, 5).Select(_ => target.Take()));

        state.Applied(Table(0) with { Version = 2 });
        Assert.Null(routes.For("m"));
        // Paused, not replaced: the comparison goes on when mirroring resumes.
        Assert.True(routes.IsCurrent("m", "m-bbb"));
        Assert.False(routes.IsCurrent("m", "m-ccc"));
    }

    [Fact]
    public void Asking_about_a_model_allocates_nothing_while_no_model_mirrors()
    {
        var state = new RouteTableState(TimeProvider.System);
        var routes = new MirrorRoutes(state);
        state.Applied(Table(0));
        routes.For("m");

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            routes.For("m");
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
