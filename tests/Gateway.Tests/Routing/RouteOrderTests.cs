using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ModelPlatform.Gateway.LoadBalancing;
using ModelPlatform.Gateway.Mirroring;
using ModelPlatform.Gateway.Routing;
using ModelPlatform.Gateway.Tests.Mirroring;
using Yarp.ReverseProxy.Configuration;

namespace ModelPlatform.Gateway.Tests.Routing;

/// <summary>
/// A new route table reaches the gateway's own checks before YARP routes by it: a request YARP
/// sends to a model is never judged by the table before (a model added with API keys open for a
/// moment, or its first requests not mirrored).
/// </summary>
public sealed class RouteOrderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task When_yarp_applies_a_models_route_its_access_policy_and_mirror_are_already_in_force()
    {
        await using var stable = await HttpStandIn.StartAsync(static context => context.Response.WriteAsync("{}", context.RequestAborted), Ct);
        var table = MirrorGateway.Table(1, stable.BaseAddress, stable.BaseAddress.ToString(), 0, 100);
        var seen = new ConcurrentQueue<(bool Policy, bool Mirror)>();
        await using var gateway = await MirrorGateway.StartAsync(table, null, Ct, services => services
            .AddSingleton(seen)
            .AddSingleton<IProxyConfigFilter, InForceWhenRouted>());

        Assert.NotEmpty(seen);
        Assert.All(seen, observed => Assert.Equal((true, true), observed));
    }

    /// <summary>Records, each time YARP takes a route of model <c>m</c>, whether the gateway's access policy (API keys, rate limits) and mirror for it are in force.</summary>
    private sealed class InForceWhenRouted(RouteTableState state, MirrorRoutes mirrors, ConcurrentQueue<(bool Policy, bool Mirror)> seen) : IProxyConfigFilter
    {
        public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel) => ValueTask.FromResult(cluster);

        public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel)
        {
            if (route.Metadata?.GetValueOrDefault(VariantMetadata.Model) == "m")
            {
                seen.Enqueue((state.PolicyOf("m") is not null, mirrors.For("m") is not null));
            }

            return ValueTask.FromResult(route);
        }
    }
}
