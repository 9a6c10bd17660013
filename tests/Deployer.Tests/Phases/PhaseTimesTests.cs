using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Provisioning;
using ModelPlatform.Deployer.Status;

namespace ModelPlatform.Deployer.Tests.Phases;

/// <summary>How a variant's observed times become its phases and the seconds between them.</summary>
public sealed class PhaseTimesTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static ReplicaObservation Replica(int ordinal, bool ready, double? startedAfter, double? readyAfter) =>
        new(ordinal, $"http://127.0.0.1:{9000 + ordinal}", ready, 0, null, $"replica-{ordinal}.log",
            StartedAt: startedAfter is { } s ? T0.AddSeconds(s) : null, ReadyAt: readyAfter is { } r ? T0.AddSeconds(r) : null);

    [Fact]
    public void Started_is_the_first_replica_to_start_and_ready_the_moment_the_last_desired_replica_became_ready()
    {
        var (started, ready) = PhaseTimes.OfReplicas([Replica(0, true, 3, 9), Replica(1, true, 2, 7), Replica(2, true, 4, 8)], desired: 3);

        Assert.Equal(T0.AddSeconds(2), started);
        Assert.Equal(T0.AddSeconds(9), ready);
    }

    [Fact]
    public void Ready_is_unknown_while_fewer_replicas_than_desired_are_ready()
    {
        // Replica 1 was ready once but is not now; only one of the two desired replicas serves.
        var (started, ready) = PhaseTimes.OfReplicas([Replica(0, true, 1, 5), Replica(1, false, 1, 6)], desired: 2);

        Assert.Equal(T0.AddSeconds(1), started);
        Assert.Null(ready);
    }

    [Fact]
    public void Each_phase_counts_the_seconds_since_the_one_before_and_the_first_has_none()
    {
        var phases = new PhaseTimes(VariantPhaseNames.Stored, T0, T0.AddSeconds(10), T0.AddSeconds(12.5), T0.AddSeconds(13)).ToPhases();

        Assert.Equal(
            [(VariantPhaseNames.Stored, T0, null), (VariantPhaseNames.ReplicaStarted, T0.AddSeconds(10), 10), (VariantPhaseNames.Ready, T0.AddSeconds(12.5), 2.5), (VariantPhaseNames.Routed, T0.AddSeconds(13), 0.5)],
            phases.Select(phase => (phase.Phase, phase.At, phase.Seconds)));
    }

    [Fact]
    public void A_phase_not_seen_is_left_out_and_the_next_counts_from_the_one_listed_before_it()
    {
        // An adopted replica: the deployer that launched it is gone, so its start is not known.
        var phases = new PhaseTimes(VariantPhaseNames.Accepted, T0, null, T0.AddSeconds(4), null).ToPhases();

        Assert.Equal([(VariantPhaseNames.Accepted, (double?)null), (VariantPhaseNames.Ready, 4)], phases.Select(phase => (phase.Phase, phase.Seconds)));
    }

    [Fact]
    public void A_phase_earlier_than_the_one_before_it_gets_no_duration_rather_than_a_negative_one()
    {
        // The replica restarted after the routes were published: its times are the replacement's.
        var phases = new PhaseTimes(VariantPhaseNames.Stored, T0, T0.AddSeconds(30), T0.AddSeconds(32), T0.AddSeconds(5)).ToPhases();

        Assert.Equal([null, 30, 2, null], phases.Select(phase => phase.Seconds));
    }
}
