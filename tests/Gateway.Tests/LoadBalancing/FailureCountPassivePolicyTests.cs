using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using ModelPlatform.Gateway.Configuration;
using ModelPlatform.Gateway.LoadBalancing;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.Tests.LoadBalancing;

public sealed class FailureCountPassivePolicyTests
{
    private readonly RecordingHealthUpdater _health = new();
    private readonly ClusterState _cluster = new("model-m");
    private readonly DestinationState _replica = Destinations.Of("stable", 100);

    [Theory]
    [InlineData(ForwarderError.Request)]
    [InlineData(ForwarderError.RequestTimedOut)]
    [InlineData(ForwarderError.ResponseHeaders)]
    [InlineData(ForwarderError.ResponseBodyDestination)]
    public void A_replica_that_fails_the_transport_leaves_rotation_for_the_reactivation_period(ForwarderError error)
    {
        var policy = Policy(threshold: 1, reactivation: TimeSpan.FromSeconds(7));

        policy.RequestProxied(Failed(error, StatusCodes.Status502BadGateway), _cluster, _replica);

        var evicted = Assert.Single(_health.Passive);
        Assert.Equal((_replica, DestinationHealth.Unhealthy, TimeSpan.FromSeconds(7)), evicted);
    }

    [Theory]
    [InlineData(StatusCodes.Status502BadGateway)]
    [InlineData(StatusCodes.Status504GatewayTimeout)]
    public void A_replica_answering_502_or_504_itself_leaves_rotation(int status)
    {
        var policy = Policy(threshold: 1);

        policy.RequestProxied(Answered(status), _cluster, _replica);

        Assert.Single(_health.Passive);
    }

    [Theory]
    [InlineData(StatusCodes.Status500InternalServerError)]
    [InlineData(StatusCodes.Status503ServiceUnavailable)]
    [InlineData(StatusCodes.Status400BadRequest)]
    [InlineData(StatusCodes.Status200OK)]
    public void Answers_about_the_request_never_evict_a_replica(int status)
    {
        var policy = Policy(threshold: 1);

        for (var i = 0; i < 10; i++)
        {
            policy.RequestProxied(Answered(status), _cluster, _replica);
        }

        Assert.Empty(_health.Passive);
    }

    [Theory]
    [InlineData(ForwarderError.RequestCanceled)]
    [InlineData(ForwarderError.RequestBodyClient)]
    [InlineData(ForwarderError.ResponseBodyClient)]
    public void A_client_that_goes_away_or_sends_a_bad_body_never_evicts_a_replica(ForwarderError error)
    {
        var policy = Policy(threshold: 1);

        policy.RequestProxied(Failed(error, StatusCodes.Status400BadRequest), _cluster, _replica);

        Assert.Empty(_health.Passive);
    }

    [Fact]
    public void Only_failures_in_a_row_count_toward_the_threshold()
    {
        var policy = Policy(threshold: 3);

        policy.RequestProxied(Answered(502), _cluster, _replica);
        policy.RequestProxied(Answered(502), _cluster, _replica);
        policy.RequestProxied(Answered(200), _cluster, _replica);
        policy.RequestProxied(Answered(502), _cluster, _replica);
        policy.RequestProxied(Answered(502), _cluster, _replica);
        Assert.Empty(_health.Passive);

        policy.RequestProxied(Answered(502), _cluster, _replica);
        Assert.Single(_health.Passive);
    }

    [Fact]
    public void Each_replica_has_its_own_count()
    {
        var policy = Policy(threshold: 2);
        var other = Destinations.Of("stable", 100, replica: 1);

        policy.RequestProxied(Answered(502), _cluster, _replica);
        policy.RequestProxied(Answered(502), _cluster, other);

        Assert.Empty(_health.Passive);
    }

    private FailureCountPassivePolicy Policy(int threshold, TimeSpan? reactivation = null)
    {
        var options = new GatewayOptions { PassiveFailureThreshold = threshold, PassiveReactivationPeriod = reactivation ?? TimeSpan.FromSeconds(10) };
        return new FailureCountPassivePolicy(_health, new StaticOptionsMonitor(options));
    }

    private static DefaultHttpContext Answered(int status) => new() { Response = { StatusCode = status } };

    private static DefaultHttpContext Failed(ForwarderError error, int status)
    {
        var context = Answered(status);
        context.Features.Set<IForwarderErrorFeature>(new ErrorFeature(error));
        return context;
    }

    private sealed record ErrorFeature(ForwarderError Error) : IForwarderErrorFeature
    {
        public Exception? Exception => null;
    }

    private sealed class RecordingHealthUpdater : IDestinationHealthUpdater
    {
        public List<(DestinationState, DestinationHealth, TimeSpan)> Passive { get; } = [];

        public void SetActive(ClusterState cluster, IEnumerable<NewActiveDestinationHealth> newHealthStates)
        {
        }

        public void SetPassive(ClusterState cluster, DestinationState destination, DestinationHealth newHealth, TimeSpan reactivationPeriod) =>
            Passive.Add((destination, newHealth, reactivationPeriod));
    }

    private sealed class StaticOptionsMonitor(GatewayOptions value) : IOptionsMonitor<GatewayOptions>
    {
        public GatewayOptions CurrentValue => value;

        public GatewayOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<GatewayOptions, string?> listener) => null;
    }
}
