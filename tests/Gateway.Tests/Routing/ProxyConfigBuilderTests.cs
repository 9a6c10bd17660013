using Microsoft.Extensions.DependencyInjection;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Configuration;
using ModelPlatform.Gateway.LoadBalancing;
using ModelPlatform.Gateway.Routing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;

namespace ModelPlatform.Gateway.Tests.Routing;

public sealed class ProxyConfigBuilderTests
{
    private static readonly GatewayOptions Options = new();

    private static readonly RouteTable Table = new(7,
    [
        new ModelRoute("resnet",
        [
            new VariantRoute(VariantNames.Stable, 90, ["http://127.0.0.1:9001", "http://127.0.0.1:9002"]),
            new VariantRoute(VariantNames.Canary, 10, ["http://127.0.0.1:9003"]),
        ]),
        new ModelRoute("empty", [new VariantRoute(VariantNames.Stable, 100, [])]),
    ]);

    [Fact]
    public void Each_model_is_one_cluster_holding_every_variants_replicas_with_variant_and_weight()
    {
        var (_, clusters) = ProxyConfigBuilder.Build(Table, Options);

        var cluster = Assert.Single(clusters, c => c.ClusterId == "model-resnet");
        Assert.Equal(VariantWeightedPolicy.PolicyName, cluster.LoadBalancingPolicy);
        Assert.Equal(["http://127.0.0.1:9001", "http://127.0.0.1:9002", "http://127.0.0.1:9003"], cluster.Destinations!.Keys.Order());
        var canary = cluster.Destinations!["http://127.0.0.1:9003"];
        Assert.Equal("http://127.0.0.1:9003", canary.Address);
        Assert.Equal(VariantNames.Canary, canary.Metadata![VariantMetadata.Variant]);
        Assert.Equal("10", canary.Metadata[VariantMetadata.Weight]);
        Assert.Equal("resnet", cluster.Metadata![VariantMetadata.Model]);
    }

    [Fact]
    public void Each_model_gets_its_v2_routes_unchanged_and_a_prefix_route_stripped()
    {
        var (routes, _) = ProxyConfigBuilder.Build(Table, Options);

        var resnet = routes.Where(r => r.ClusterId == "model-resnet").ToDictionary(r => r.Match.Path!, r => r);
        Assert.Equal(["/models/resnet/{**rest}", "/v2/models/resnet", "/v2/models/resnet/{**rest}"], resnet.Keys.Order(StringComparer.Ordinal));
        Assert.All(resnet.Values, route => Assert.Equal("resnet", route.Metadata![VariantMetadata.Model]));
        Assert.All(resnet.Values, route => Assert.Equal(Options.MaxRequestBodyBytes, route.MaxRequestBodySize));
        Assert.Equal("/models/resnet", Assert.Single(resnet["/models/resnet/{**rest}"].Transforms!)["PathRemovePrefix"]);
        Assert.Null(resnet["/v2/models/resnet/{**rest}"].Transforms);
    }

    [Fact]
    public void Only_the_v2_and_grpc_routes_are_marked_safe_to_send_twice()
    {
        var (routes, _) = ProxyConfigBuilder.Build(Table, Options);

        Assert.All(routes, route => Assert.Equal(
            route.Match.Path!.StartsWith("/v2/", StringComparison.Ordinal) || route.Match.Path.StartsWith("/inference.", StringComparison.Ordinal),
            route.Metadata!.ContainsKey(ProxyConfigBuilder.IdempotentRoute)));
    }

    [Fact]
    public void Health_probes_the_protocols_readiness_and_passive_health_uses_the_failure_count()
    {
        var options = new GatewayOptions { ActiveHealthInterval = TimeSpan.FromSeconds(3), PassiveReactivationPeriod = TimeSpan.FromSeconds(4) };

        var (_, clusters) = ProxyConfigBuilder.Build(Table, options);

        var health = clusters[0].HealthCheck!;
        Assert.Equal("/v2/health/ready", health.Active!.Path);
        Assert.Equal(TimeSpan.FromSeconds(3), health.Active.Interval);
        Assert.Equal(FailureCountPassivePolicy.PolicyName, health.Passive!.Policy);
        Assert.Equal(TimeSpan.FromSeconds(4), health.Passive.ReactivationPeriod);
    }

    [Fact]
    public void Replicas_that_are_all_unhealthy_are_not_sent_traffic_in_panic()
    {
        var (_, clusters) = ProxyConfigBuilder.Build(Table, Options);

        Assert.All(clusters, cluster => Assert.Equal(HealthCheckConstants.AvailableDestinations.HealthyAndUnknown, cluster.HealthCheck!.AvailableDestinationsPolicy));
    }

    [Fact]
    public void Sticky_sessions_are_off_unless_asked_for()
    {
        var (_, plain) = ProxyConfigBuilder.Build(Table, Options);
        var (_, sticky) = ProxyConfigBuilder.Build(Table, new GatewayOptions { StickySessions = true });

        Assert.All(plain, cluster => Assert.Null(cluster.SessionAffinity));
        Assert.All(sticky.Where(cluster => cluster.ClusterId.StartsWith("model-", StringComparison.Ordinal)), cluster => Assert.True(cluster.SessionAffinity!.Enabled));
        // The affinity is a cookie, which gRPC clients do not keep.
        Assert.All(sticky.Where(cluster => cluster.ClusterId.StartsWith("grpc-", StringComparison.Ordinal)), cluster => Assert.Null(cluster.SessionAffinity));
    }

    [Fact]
    public void A_replica_listed_under_two_variants_is_one_destination()
    {
        var table = new RouteTable(1, [new ModelRoute("shared",
        [
            new VariantRoute(VariantNames.Stable, 50, ["http://127.0.0.1:9001"]),
            new VariantRoute(VariantNames.Canary, 50, ["http://127.0.0.1:9001"]),
        ])]);

        var (_, clusters) = ProxyConfigBuilder.Build(table, Options);

        Assert.Single(clusters[0].Destinations!);
    }

    [Fact]
    public void An_empty_table_gives_no_routes()
    {
        var (routes, clusters) = ProxyConfigBuilder.Build(new RouteTable(1, []), Options);

        Assert.Empty(routes);
        Assert.Empty(clusters);
    }

    [Fact]
    public async Task Yarp_accepts_every_route_and_cluster_it_builds()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOptions<GatewayOptions>();
        services.AddSingleton<ILoadBalancingPolicy, VariantWeightedPolicy>();
        services.AddSingleton<IPassiveHealthCheckPolicy, FailureCountPassivePolicy>();
        services.AddReverseProxy();
        await using var provider = services.BuildServiceProvider();
        var validator = provider.GetRequiredService<IConfigValidator>();
        var (routes, clusters) = ProxyConfigBuilder.Build(Table, new GatewayOptions { StickySessions = true });

        foreach (var route in routes)
        {
            Assert.Empty(await validator.ValidateRouteAsync(route));
        }

        foreach (var cluster in clusters)
        {
            Assert.Empty(await validator.ValidateClusterAsync(cluster));
        }
    }
}
