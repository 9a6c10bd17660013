using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using ModelPlatform.Gateway.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.LoadBalancing;

/// <summary>
/// Passive health: a replica whose requests fail (a transport error, or a 5xx answer) the configured
/// number of times in a row leaves rotation for the reactivation period; active probes bring it back.
/// YARP's built-in policy counts transport failures only; a replica answering 503 while it drains
/// should leave rotation too.
/// </summary>
internal sealed class FailureCountPassivePolicy(IDestinationHealthUpdater health, IOptionsMonitor<GatewayOptions> options) : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "FailureCount";

    private readonly ConcurrentDictionary<DestinationState, int> _failures = new();

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        var error = context.Features.Get<IForwarderErrorFeature>()?.Error ?? ForwarderError.None;
        var failed = error is ForwarderError.Request or ForwarderError.RequestTimedOut or ForwarderError.ResponseHeaders
            or ForwarderError.RequestBodyDestination or ForwarderError.ResponseBodyDestination
            || (error == ForwarderError.None && context.Response.StatusCode >= 500);
        if (!failed)
        {
            _failures.TryRemove(destination, out _);
            return;
        }

        var settings = options.CurrentValue;
        if (_failures.AddOrUpdate(destination, 1, (_, count) => count + 1) >= settings.PassiveFailureThreshold)
        {
            _failures.TryRemove(destination, out _);
            health.SetPassive(cluster, destination, DestinationHealth.Unhealthy, settings.PassiveReactivationPeriod);
        }
    }
}
