using System.Collections.Concurrent;
using Dapr.DurableTask.Protobuf;
using Dapr.Workflow;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelPlatform.Deployer.Workflows.Dapr;

namespace ModelPlatform.Deployer.Tests.Dapr;

/// <summary>
/// The Dapr scheduler with the Dapr Workflow SDK's own worker, in process, against the fake
/// sidecar's workflow backend: workflows replay on every event, and the scheduler waits out a
/// sidecar that refuses workflow calls for a while.
/// </summary>
public sealed class DaprWorkflowSchedulerTests : IAsyncLifetime
{
    private FakeDaprSidecar _sidecar = null!;
    private IHost _host = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DaprWorkflowScheduler Scheduler => _host.Services.GetRequiredService<DaprWorkflowScheduler>();

    public async ValueTask InitializeAsync() => _sidecar = await FakeDaprSidecar.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            _host.Dispose();
        }

        await _sidecar.DisposeAsync();
    }

    [Fact]
    public async Task The_sdks_worker_runs_a_workflow_with_activities_and_a_timer_replaying_it_from_the_top_on_every_event()
    {
        await StartWorkerAsync();

        await Scheduler.ScheduleAsync(nameof(ReplayProbeWorkflow), "probe-replay", "x", Ct);
        var outcome = await Scheduler.WaitForCompletionAsync("probe-replay", Ct);

        Assert.NotNull(outcome);
        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.Equal("\"x-1-2\"", outcome.Output);
        // Started, two activity results and a fired timer: four turns, each a replay from the top.
        Assert.Equal(4, ReplayProbeWorkflow.Runs["probe-replay"]);
        Assert.Equal(2, ProbeActivity.Calls["probe-replay"]);
        var history = _sidecar.Workflows.History("probe-replay");
        Assert.Equal(2, history.Count(e => e.TaskScheduled is not null));
        Assert.Single(history, e => e.TimerFired is not null);
        Assert.Equal(OrchestrationStatus.Completed, Assert.Single(history, e => e.ExecutionCompleted is not null).ExecutionCompleted.WorkflowStatus);
    }

    [Fact]
    public async Task A_workflow_that_throws_ends_failed_with_its_message()
    {
        await StartWorkerAsync();

        await Scheduler.ScheduleAsync(nameof(ReplayProbeWorkflow), "probe-fail", "fail", Ct);
        var outcome = await Scheduler.WaitForCompletionAsync("probe-fail", Ct);

        Assert.NotNull(outcome);
        Assert.False(outcome.Succeeded);
        Assert.Contains("asked to fail", outcome.Error, StringComparison.Ordinal);
        Assert.Null(await Scheduler.WaitForCompletionAsync("never-started", Ct));
    }

    [Fact]
    public async Task Scheduling_while_the_sidecar_refuses_workflow_calls_waits_until_it_answers()
    {
        // As after a daprd restart: calls refused, and the worker's stream is down until it reconnects.
        _sidecar.Workflows.GoDown();
        await StartWorkerAsync();

        var scheduling = Scheduler.ScheduleAsync(nameof(ReplayProbeWorkflow), "probe-down", "y", Ct);
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        Assert.False(scheduling.IsCompleted);
        _sidecar.Workflows.ComeBack();
        await scheduling;
        var outcome = await Scheduler.WaitForCompletionAsync("probe-down", Ct);

        Assert.True(outcome!.Succeeded, outcome.Error);
        Assert.Equal("\"y-1-2\"", outcome.Output);
    }

    [Fact]
    public async Task A_sidecar_restart_in_the_middle_of_a_workflow_is_waited_out_and_the_workflow_finishes()
    {
        await StartWorkerAsync();
        await Scheduler.ScheduleAsync(nameof(ReplayProbeWorkflow), "probe-restart", "slow", Ct);
        var waiting = Scheduler.WaitForCompletionAsync("probe-restart", Ct);
        while (!_sidecar.Workflows.History("probe-restart").Any(e => e.TimerCreated is not null))
        {
            await Task.Delay(20, Ct);
        }

        _sidecar.Workflows.GoDown();
        await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        _sidecar.Workflows.ComeBack();
        var outcome = await waiting;

        Assert.True(outcome!.Succeeded, outcome.Error);
        Assert.Equal("\"slow-1-2\"", outcome.Output);
    }

    private async Task StartWorkerAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(_sidecar.Environment.Select(pair => new KeyValuePair<string, string?>(pair.Key, pair.Value)));
        builder.Services.AddDaprWorkflow(options =>
        {
            options.RegisterWorkflow<ReplayProbeWorkflow>();
            options.RegisterActivity<ProbeActivity>();
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DaprWorkflowScheduler>();
        _host = builder.Build();
        await _host.StartAsync(Ct);
    }
}

/// <summary>Two activities and a timer; counts how often its body runs, which replays make more than once.</summary>
internal sealed class ReplayProbeWorkflow : Workflow<string, string>
{
    public static readonly ConcurrentDictionary<string, int> Runs = new(StringComparer.Ordinal);

    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        ArgumentNullException.ThrowIfNull(context);
        Runs.AddOrUpdate(context.InstanceId, 1, (_, runs) => runs + 1);
        var first = await context.CallActivityAsync<string>(nameof(ProbeActivity), $"{input}-1");
        await context.CreateTimer(input == "slow" ? TimeSpan.FromSeconds(2) : TimeSpan.FromMilliseconds(50));
        if (input == "fail")
        {
            throw new InvalidOperationException("asked to fail");
        }

        return await context.CallActivityAsync<string>(nameof(ProbeActivity), $"{first}-2");
    }
}

internal sealed class ProbeActivity : WorkflowActivity<string, string>
{
    public static readonly ConcurrentDictionary<string, int> Calls = new(StringComparer.Ordinal);

    public override Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        ArgumentNullException.ThrowIfNull(context);
        Calls.AddOrUpdate(context.InstanceId, 1, (_, calls) => calls + 1);
        return Task.FromResult(input);
    }
}
