using System.Globalization;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Configuration;
using ModelPlatform.Gateway.LoadBalancing;
using ModelPlatform.Gateway.Proxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;

namespace ModelPlatform.Gateway.Routing;

/// <summary>
/// Turns the route table into YARP routes and clusters, in code: one cluster per model holding the
/// replicas of all its variants (their variant and weight in metadata), and two routes per model:
/// <c>/v2/models/{name}/...</c> forwarded unchanged and <c>/models/{name}/...</c> with the prefix
/// stripped. Destination ids are their addresses, so a replica keeps its health state across
/// updates, and the HTTP client settings never change, so connection pools survive every update.
/// </summary>
internal static class ProxyConfigBuilder
{
    /// <summary>Route metadata key: requests on this route may be sent twice (see the retry in the proxy pipeline).</summary>
    public const string IdempotentRoute = "idempotent";

    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) Build(RouteTable table, GatewayOptions options)
    {
        var routes = new List<RouteConfig>();
        var clusters = new List<ClusterConfig>();
        foreach (var model in table.Models)
        {
            var clusterId = $"model-{model.Name}";
            var metadata = new Dictionary<string, string> { [VariantMetadata.Model] = model.Name };
            clusters.Add(new ClusterConfig
            {
                ClusterId = clusterId,
                LoadBalancingPolicy = VariantWeightedPolicy.PolicyName,
                Destinations = model.Variants
                    .SelectMany(variant => variant.Endpoints.Select(endpoint => (variant, endpoint)))
                    .DistinctBy(pair => pair.endpoint, StringComparer.Ordinal)
                    .ToDictionary(
                        pair => pair.endpoint,
                        pair => new DestinationConfig
                        {
                            Address = pair.endpoint,
                            Metadata = ReplicaClusterSettings.DestinationMetadata(pair.variant),
                        },
                        StringComparer.Ordinal),
                HealthCheck = ReplicaClusterSettings.HealthCheck(options),
                SessionAffinity = options.StickySessions
                    ? new SessionAffinityConfig { Enabled = true, Policy = "HashCookie", AffinityKeyName = ".ModelPlatform.Replica" }
                    : null,
                HttpRequest = new ForwarderRequestConfig { ActivityTimeout = options.RequestTimeout },
                Metadata = metadata,
            });

            // Open Inference Protocol calls compute a function of their input: safe to send again.
            var v2 = new Dictionary<string, string>(metadata) { [IdempotentRoute] = "true" };
            routes.Add(Route($"v2-{model.Name}", clusterId, $"{ReplicaPaths.V2ModelsPrefix}{model.Name}/{{**rest}}", v2, options, null));
            routes.Add(Route($"v2-{model.Name}-root", clusterId, $"{ReplicaPaths.V2ModelsPrefix}{model.Name}", v2, options, null));
            routes.Add(Route($"prefix-{model.Name}", clusterId, $"{ReplicaPaths.ContainerPrefix}{model.Name}/{{**rest}}", metadata, options,
                [new Dictionary<string, string> { ["PathRemovePrefix"] = $"{ReplicaPaths.ContainerPrefix}{model.Name}" }]));
            Grpc.GrpcProxyConfig.Add(model, options, routes, clusters);
        }

        return (routes, clusters);
    }

    private static RouteConfig Route(
        string id, string clusterId, string path, Dictionary<string, string> metadata, GatewayOptions options,
        IReadOnlyList<IReadOnlyDictionary<string, string>>? transforms) => new()
        {
            RouteId = id,
            ClusterId = clusterId,
            Match = new RouteMatch { Path = path },
            Metadata = metadata,
            MaxRequestBodySize = options.MaxRequestBodyBytes,
            Transforms = transforms,
        };
}
