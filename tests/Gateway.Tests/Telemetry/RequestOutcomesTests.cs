using ModelPlatform.Gateway.Telemetry;
using Yarp.ReverseProxy.Forwarder;

namespace ModelPlatform.Gateway.Tests.Telemetry;

/// <summary>4xx, 5xx and transport failures are told apart, and a client that hangs up is not the model's fault.</summary>
public sealed class RequestOutcomesTests
{
    [Theory]
    [InlineData(200, "success")]
    [InlineData(404, "client_error")]
    [InlineData(429, "client_error")]
    [InlineData(500, "server_error")]
    [InlineData(503, "server_error")]
    public void An_answer_is_judged_by_its_status(int status, string expected) =>
        Assert.Equal(expected, RequestOutcomes.Label(RequestOutcomes.Of(status, error: null)));

    [Theory]
    [InlineData(ForwarderError.Request, 502)]
    [InlineData(ForwarderError.RequestTimedOut, 504)]
    [InlineData(ForwarderError.ResponseBodyDestination, 200)]
    public void A_replica_that_cannot_be_reached_or_breaks_off_is_a_transport_error_whatever_the_status(ForwarderError error, int status) =>
        Assert.Equal(RequestOutcome.TransportError, RequestOutcomes.Of(status, error));

    [Theory]
    [InlineData(ForwarderError.RequestCanceled, 502)]
    [InlineData(ForwarderError.RequestBodyClient, 400)]
    [InlineData(ForwarderError.ResponseBodyClient, 200)]
    public void A_failure_the_client_caused_is_a_client_error(ForwarderError error, int status) =>
        Assert.Equal(RequestOutcome.ClientError, RequestOutcomes.Of(status, error));
}
