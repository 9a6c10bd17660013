using ModelPlatform.Contracts;
using Yarp.ReverseProxy.Forwarder;

namespace ModelPlatform.Gateway.Telemetry;

/// <summary>How a request ended, as the variant's error ratios count it.</summary>
internal enum RequestOutcome
{
    Success,
    ClientError,
    ServerError,
    TransportError,
}

/// <summary>Tells a client's fault from a model's and from a failed transport.</summary>
internal static class RequestOutcomes
{
    /// <summary>
    /// A forwarding failure the client caused (it hung up, or sent a body that could not be read) is
    /// a client error whatever status YARP set; any other forwarding failure is a transport error
    /// (the replica refused, timed out or broke off), though its status is a 5xx too.
    /// </summary>
    public static RequestOutcome Of(int statusCode, ForwarderError? error) => error switch
    {
        null or ForwarderError.None => statusCode >= 500 ? RequestOutcome.ServerError
            : statusCode >= 400 ? RequestOutcome.ClientError
            : RequestOutcome.Success,
        ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.RequestBodyClient or
            ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient or
            ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeRequestClient or
            ForwarderError.UpgradeResponseCanceled or ForwarderError.UpgradeResponseClient => RequestOutcome.ClientError,
        _ => RequestOutcome.TransportError,
    };

    /// <summary>The <c>outcome</c> label's value.</summary>
    public static string Label(RequestOutcome outcome) => outcome switch
    {
        RequestOutcome.ClientError => GatewayMetricNames.ClientError,
        RequestOutcome.ServerError => GatewayMetricNames.ServerError,
        RequestOutcome.TransportError => GatewayMetricNames.TransportError,
        _ => GatewayMetricNames.Success,
    };
}
