using System.Globalization;
using ModelPlatform.Contracts;
using ModelPlatform.Gateway.Configuration;
using ModelPlatform.Gateway.LoadBalancing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;

namespace ModelPlatform.Gateway.Routing;

/// <summary>What every cluster of a model's replicas shares, REST or gRPC: a destination's variant and weight, and one health verdict per replica.</summary>
internal static class ReplicaClusterSettings
{
    public static Dictionary<string, string> DestinationMetadata(VariantRoute variant) => new()
    {
        [VariantMetadata.Variant] = variant.Name,
        [VariantMetadata.Weight] = variant.Weight.ToString(CultureInfo.InvariantCulture),
    };

    public static HealthCheckConfig HealthCheck(GatewayOptions options) => new()
    {
        // YARP's default (HealthyOrPanic) sends to every replica when none is healthy; the
        // gateway answers 503 then instead, and takes a variant without a healthy replica out.
        AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyAndUnknown,
        Active = new ActiveHealthCheckConfig
        {
            Enabled = true,
            Interval = options.ActiveHealthInterval,
            Timeout = options.ActiveHealthTimeout,
            Policy = HealthCheckConstants.ActivePolicy.ConsecutiveFailures,
            Path = "/v2/health/ready",
        },
        Passive = new PassiveHealthCheckConfig
        {
            Enabled = true,
            Policy = FailureCountPassivePolicy.PolicyName,
            ReactivationPeriod = options.PassiveReactivationPeriod,
        },
    };
}
