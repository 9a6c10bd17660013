using System.Net;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Configuration;
using ModelPlatform.Gateway.Grpc;
using ModelPlatform.Gateway.LoadBalancing;
using ModelPlatform.Gateway.Routing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.Tests.Grpc;

public sealed class GrpcProxyConfigTests
{
    private static readonly GatewayOptions Options = new();

    private static readonly RouteTable Table = new(3,
    [
        new ModelRoute("resnet",
        [
            new VariantRoute(VariantNames.Stable, 80, ["http://127.0.0.1:9001"], new Dictionary<string, string> { ["http://127.0.0.1:9001"] = "http://127.0.0.1:9101" }),
            new VariantRoute(VariantNames.Canary, 20, ["http://127.0.0.1:9002"], new Dictionary<string, string> { ["http://127.0.0.1:9002"] = "http://127.0.0.1:9102" }),
        ]),
        new ModelRoute("rest-only", [new VariantRoute(VariantNames.Stable, 100, ["http://127.0.0.1:9003"])]),
        new ModelRoute("asleep", [new VariantRoute(VariantNames.Stable, 100, [])]),
    ]);

    [Fact]
    public void A_model_with_grpc_replicas_gets_a_cluster_of_their_grpc_ports_over_http2_only_probed_on_their_rest_ports()
    {
        var (_, clusters) = ProxyConfigBuilder.Build(Table, Options);

        var cluster = Assert.Single(clusters, c => c.ClusterId == "grpc-resnet");
        Assert.Equal(VariantWeightedPolicy.PolicyName, cluster.LoadBalancingPolicy);
        Assert.Equal(HttpVersion.Version20, cluster.HttpRequest!.Version);
        Assert.Equal(HttpVersionPolicy.RequestVersionExact, cluster.HttpRequest.VersionPolicy);
        var canary = cluster.Destinations!["http://127.0.0.1:9102"];
        Assert.Equal("http://127.0.0.1:9102", canary.Address);
        Assert.Equal("http://127.0.0.1:9002", canary.Health);
        Assert.Equal((VariantNames.Canary, "20"), (canary.Metadata![VariantMetadata.Variant], canary.Metadata[VariantMetadata.Weight]));
        Assert.Equal("/v2/health/ready", cluster.HealthCheck!.Active!.Path);
        Assert.True(cluster.HealthCheck.Passive!.Enabled);
    }

    [Fact]
    public void The_grpc_route_takes_posts_to_the_inference_service_whose_model_header_is_the_models()
    {
        var (routes, _) = ProxyConfigBuilder.Build(Table, Options);

        var route = Assert.Single(routes, r => r.ClusterId == "grpc-resnet");
        Assert.Equal("/inference.GRPCInferenceService/{method}", route.Match.Path);
        Assert.Equal(["POST"], route.Match.Methods);
        var header = Assert.Single(route.Match.Headers!);
        Assert.Equal((InferenceGrpc.ModelNameHeader, HeaderMatchMode.ExactHeader, true), (header.Name, header.Mode, header.IsCaseSensitive));
        Assert.Equal(["resnet"], header.Values);
        Assert.Equal("resnet", route.Metadata![VariantMetadata.Model]);
        Assert.True(route.Metadata.ContainsKey(ProxyConfigBuilder.IdempotentRoute));
    }

    [Fact]
    public void A_model_whose_ready_replicas_speak_rest_only_gets_no_grpc_route_and_one_without_replicas_an_empty_cluster()
    {
        var (routes, clusters) = ProxyConfigBuilder.Build(Table, Options);

        Assert.DoesNotContain(routes, r => r.ClusterId == "grpc-rest-only");
        Assert.Empty(Assert.Single(clusters, c => c.ClusterId == "grpc-asleep").Destinations!);
        Assert.Single(routes, r => r.ClusterId == "grpc-asleep");
    }

    [Fact]
    public void Probes_of_grpc_clusters_go_to_the_rest_port_over_http11_and_others_as_yarp_sends_them()
    {
        var (_, clusters) = ProxyConfigBuilder.Build(Table, Options);
        var factory = new GrpcProbingRequestFactory();
        using var client = new HttpMessageInvoker(new HttpClientHandler());
        var grpc = clusters.Single(c => c.ClusterId == "grpc-resnet");
        var rest = clusters.Single(c => c.ClusterId == "model-resnet");

        using var grpcProbe = factory.CreateRequest(new ClusterModel(grpc, client), new DestinationModel(grpc.Destinations!["http://127.0.0.1:9101"]));
        using var restProbe = factory.CreateRequest(new ClusterModel(rest, client), new DestinationModel(rest.Destinations!["http://127.0.0.1:9001"]));

        Assert.Equal(new Uri("http://127.0.0.1:9001/v2/health/ready"), grpcProbe.RequestUri);
        Assert.Equal((HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact), (grpcProbe.Version, grpcProbe.VersionPolicy));
        Assert.Equal(HttpMethod.Get, grpcProbe.Method);
        Assert.Equal(new Uri("http://127.0.0.1:9001/v2/health/ready"), restProbe.RequestUri);
        Assert.Equal((HttpVersion.Version20, HttpVersionPolicy.RequestVersionOrLower), (restProbe.Version, restProbe.VersionPolicy));
    }
}
