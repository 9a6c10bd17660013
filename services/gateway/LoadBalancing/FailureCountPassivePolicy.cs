using System.Runtime.CompilerServices;
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

    // Keyed weakly: a replica removed from the table takes its count with it.
    private readonly ConditionalWeakTable<DestinationState, StrongBox<int>> _failures = new();

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        var error = context.Features.Get<IForwarderErrorFeature>()?.Error ?? ForwarderError.None;
        // What says the replica is broken: it cannot be reached, it times out, it breaks the
        // connection, or it answers 502/504 itself. A 500 or a 503 is an answer about the request
        // (bad input, a model not ready), and a client must not be able to evict replicas with them.
        var failed = error is ForwarderError.Request or ForwarderError.RequestTimedOut or ForwarderError.ResponseHeaders
            or ForwarderError.RequestBodyDestination or ForwarderError.ResponseBodyDestination
            || (error == ForwarderError.None && context.Response.StatusCode is StatusCodes.Status502BadGateway or StatusCodes.Status504GatewayTimeout);
        var count = _failures.GetValue(destination, static _ => new StrongBox<int>());
        if (!failed)
        {
            Interlocked.Exchange(ref count.Value, 0);
            return;
        }

        var settings = options.CurrentValue;
        if (Interlocked.Increment(ref count.Value) >= settings.PassiveFailureThreshold)
        {
            Interlocked.Exchange(ref count.Value, 0);
            health.SetPassive(cluster, destination, DestinationHealth.Unhealthy, settings.PassiveReactivationPeriod);
        }
    }
}
