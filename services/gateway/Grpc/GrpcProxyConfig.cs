using System.Globalization;
using System.Net;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Configuration;
using ModelPlatform.Gateway.LoadBalancing;
using ModelPlatform.Gateway.Routing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;

namespace ModelPlatform.Gateway.Grpc;

/// <summary>
/// A model's gRPC route and cluster, beside its REST ones: the route takes the inference service's
/// calls whose <c>x-model-name</c> header is the model's (the gateway sets it from the message when
/// the caller does not), and the cluster holds the gRPC addresses of the model's replicas, reached
/// over cleartext HTTP/2 (prior knowledge, nothing else). Variants, weights and health work as for
/// REST: a destination carries its variant and weight, and is probed on its replica's REST
/// <c>/v2/health/ready</c>, so one replica has one verdict for both protocols. A model whose ready
/// replicas all speak REST only gets no gRPC route (such calls are answered UNIMPLEMENTED); one with
/// no ready replica at all gets an empty cluster, so calls are answered UNAVAILABLE as on REST.
/// </summary>
internal static class GrpcProxyConfig
{
    /// <summary>Cluster metadata key: probe the destinations' health address over HTTP/1.1 (see <see cref="GrpcProbingRequestFactory"/>).</summary>
    public const string ProbeOverHttp11 = "probe-http11";

    public static void Add(ModelRoute model, GatewayOptions options, List<RouteConfig> routes, List<ClusterConfig> clusters)
    {
        var replicas = model.Variants
            .SelectMany(variant => (variant.GrpcEndpoints ?? new Dictionary<string, string>())
                .Where(pair => variant.Endpoints.Contains(pair.Key, StringComparer.Ordinal))
                .Select(pair => (Variant: variant, Health: pair.Key, Grpc: pair.Value)))
            .DistinctBy(replica => replica.Grpc, StringComparer.Ordinal)
            .ToList();
        if (replicas.Count == 0 && model.Variants.Any(variant => variant.Endpoints.Count > 0))
        {
            return;
        }

        var clusterId = $"grpc-{model.Name}";
        clusters.Add(new ClusterConfig
        {
            ClusterId = clusterId,
            LoadBalancingPolicy = VariantWeightedPolicy.PolicyName,
            Destinations = replicas.ToDictionary(
                replica => replica.Grpc,
                replica => new DestinationConfig
                {
                    Address = replica.Grpc,
                    Health = replica.Health,
                    Metadata = ReplicaClusterSettings.DestinationMetadata(replica.Variant),
                },
                StringComparer.Ordinal),
            HealthCheck = ReplicaClusterSettings.HealthCheck(options),
            HttpRequest = new ForwarderRequestConfig
            {
                ActivityTimeout = options.RequestTimeout,
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            },
            Metadata = new Dictionary<string, string> { [VariantMetadata.Model] = model.Name, [ProbeOverHttp11] = "true" },
        });

        routes.Add(new RouteConfig
        {
            RouteId = clusterId,
            ClusterId = clusterId,
            Match = new RouteMatch
            {
                Path = InferenceGrpc.ServicePrefix + "{method}",
                Methods = [HttpMethods.Post],
                Headers =
                [
                    new RouteHeader { Name = InferenceGrpc.ModelNameHeader, Values = [model.Name], Mode = HeaderMatchMode.ExactHeader, IsCaseSensitive = true },
                ],
            },
            // Inference computes a function of its input: safe to send again, as on REST.
            Metadata = new Dictionary<string, string> { [VariantMetadata.Model] = model.Name, [ProxyConfigBuilder.IdempotentRoute] = "true" },
            MaxRequestBodySize = options.MaxRequestBodyBytes,
        });
    }
}
