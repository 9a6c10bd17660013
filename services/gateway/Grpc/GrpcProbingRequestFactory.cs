using System.Net;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.Grpc;

/// <summary>
/// Active health probes: <c>GET {health address or address}{path}</c> with the cluster's HTTP version,
/// as YARP's own probes are, except for gRPC clusters: those forward over HTTP/2 only, but their
/// destinations are probed on the replica's REST port, which speaks HTTP/1.1.
/// </summary>
internal sealed class GrpcProbingRequestFactory : IProbingRequestFactory
{
    private const string UserAgent = "modelplatform-gateway (active health check)";

    public HttpRequestMessage CreateRequest(ClusterModel cluster, DestinationModel destination)
    {
        var config = cluster.Config;
        var address = string.IsNullOrEmpty(destination.Config.Health) ? destination.Config.Address : destination.Config.Health;
        var active = config.HealthCheck?.Active;
        var uri = new Uri(address.TrimEnd('/') + (active?.Path ?? string.Empty) + (active?.Query ?? string.Empty));
        var overHttp11 = config.Metadata?.ContainsKey(GrpcProxyConfig.ProbeOverHttp11) == true;
        var request = new HttpRequestMessage(HttpMethod.Get, uri)
        {
            Version = overHttp11 ? HttpVersion.Version11 : config.HttpRequest?.Version ?? HttpVersion.Version20,
            VersionPolicy = overHttp11 ? HttpVersionPolicy.RequestVersionExact : config.HttpRequest?.VersionPolicy ?? HttpVersionPolicy.RequestVersionOrLower,
        };
        request.Headers.UserAgent.ParseAdd(UserAgent);
        return request;
    }
}
