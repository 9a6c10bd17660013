using System.Globalization;
using ModelPlatform.Gateway.LoadBalancing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.Tests;

/// <summary>Destinations as the route table builder makes them: an address, a variant and its weight.</summary>
internal static class Destinations
{
    public static DestinationState Of(string variant, int weight, int replica = 0) =>
        new($"http://127.0.0.1:{9000 + replica}/{variant}", new DestinationModel(new DestinationConfig
        {
            Address = $"http://127.0.0.1:{9000 + replica}",
            Metadata = new Dictionary<string, string>
            {
                [VariantMetadata.Variant] = variant,
                [VariantMetadata.Weight] = weight.ToString(CultureInfo.InvariantCulture),
            },
        }));
}
