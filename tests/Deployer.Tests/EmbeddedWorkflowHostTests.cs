using System.Collections.Concurrent;
using System.Text.Json;
using Dapr.Workflow;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.State.Sqlite;
using ModelPlatform.Deployer.Tests.Workflows;
using ModelPlatform.Deployer.Workflows.Embedded;

namespace ModelPlatform.Deployer.Tests;

/// <summary>
/// The in-process host runs Dapr workflow classes by Dapr's rules: the workflow runs again from the
/// top over its journal for every new result, so journaled steps replay instead of running again and
/// a workflow that decides differently fails; timers, events and retry policies behave; a stop waits
/// for the activities under way; finished instances are forgotten.
/// </summary>
public sealed class EmbeddedWorkflowHostTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly string _data = Directory.CreateTempSubdirectory("modelplatform-workflows-").FullName;
    private readonly TestTime _time = new(Start);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task Steps_run_in_order_on_the_hosts_clock_and_a_finished_instance_keeps_its_outcome_not_its_steps()
    {
        await using var services = Services();
        var host = services.GetRequiredService<EmbeddedWorkflowHost>();

        await host.ScheduleAsync(nameof(StepsWorkflow), "steps", new[] { "a", "b" }, Ct);
        var outcome = await host.WaitForCompletionAsync("steps", Ct);

        Assert.True(outcome!.Succeeded, outcome.Error);
        Assert.Equal($"A,B at {Start.AddMilliseconds(10):O}", JsonSerializer.Deserialize<string>(outcome.Output!));
        Assert.Empty(await services.GetRequiredService<IWorkflowJournal>().ReadAsync("steps", Ct));
        Assert.Equal(outcome, await host.WaitForCompletionAsync("steps", Ct));
    }

    [Fact]
    public async Task Finished_instances_are_forgotten_after_the_retention()
    {
        await using var services = Services();
        var host = services.GetRequiredService<EmbeddedWorkflowHost>();
        await host.ScheduleAsync(nameof(StepsWorkflow), "old", new[] { "a" }, Ct);
        await host.WaitForCompletionAsync("old", Ct);

        _time.Now = Start + EmbeddedWorkflowHost.Retention + TimeSpan.FromMinutes(1);
        await using var later = Services();
        await later.GetRequiredService<EmbeddedWorkflowHost>().StartAsync(Ct);

        Assert.Null(await later.GetRequiredService<IWorkflowJournal>().GetInstanceAsync("old", Ct));
    }

    [Fact]
    public async Task A_restarted_host_replays_completed_steps_instead_of_running_them_again()
    {
        var probe = new Probe { Gate = new TaskCompletionSource() };
        await using (var first = Services(probe))
        {
            var host = first.GetRequiredService<EmbeddedWorkflowHost>();
            await host.ScheduleAsync(nameof(StepsWorkflow), "resume", new[] { "once", "wait" }, Ct);
            while (probe.Runs.GetValueOrDefault("wait") == 0)
            {
                await Task.Delay(10, Ct);
            }

            // The deployer stops: the waiting activity sees it and gives up, to run again on the next start.
            first.GetRequiredService<IHostApplicationLifetime>().StopApplication();
            await host.StopAsync(Ct);
        }

        await using var second = Services(probe);
        var resumed = second.GetRequiredService<EmbeddedWorkflowHost>();
        await resumed.StartAsync(Ct);
        probe.Gate.SetResult();
        var outcome = await resumed.WaitForCompletionAsync("resume", Ct);

        Assert.True(outcome!.Succeeded, outcome.Error);
        Assert.StartsWith("ONCE,WAIT", JsonSerializer.Deserialize<string>(outcome.Output!), StringComparison.Ordinal);
        Assert.Equal(1, probe.Runs["once"]);
        Assert.Equal(2, probe.Runs["wait"]);
    }

    [Fact]
    public async Task Stopping_waits_for_an_activity_under_way_and_journals_its_result()
    {
        var probe = new Probe { Gate = new TaskCompletionSource() };
        await using var services = Services(probe);
        var host = services.GetRequiredService<EmbeddedWorkflowHost>();
        await host.ScheduleAsync(nameof(StepsWorkflow), "stopping", new[] { "wait" }, Ct);
        while (probe.Runs.GetValueOrDefault("wait") == 0)
        {
            await Task.Delay(10, Ct);
        }

        var stopping = host.StopAsync(Ct);
        Assert.False(stopping.IsCompleted);
        probe.Gate.SetResult();
        await stopping;

        Assert.Equal(["ScopeAlive"], probe.ScopeSeen);
        var journaled = Assert.Single(await services.GetRequiredService<IWorkflowJournal>().ReadAsync("stopping", Ct));
        Assert.Equal("\"WAIT\"", journaled.Result);
    }

    [Fact]
    public async Task An_external_event_raised_before_or_during_the_wait_is_delivered_once()
    {
        await using var services = Services();
        var host = services.GetRequiredService<EmbeddedWorkflowHost>();

        await host.ScheduleAsync(nameof(EventWorkflow), "events", "x", Ct);
        Assert.True(host.RaiseEvent("events", "go", "first"));
        Assert.True(host.RaiseEvent("events", "go", "second"));
        var outcome = await host.WaitForCompletionAsync("events", Ct);

        Assert.True(outcome!.Succeeded, outcome.Error);
        Assert.Equal("X+first+second", JsonSerializer.Deserialize<string>(outcome.Output!));
        Assert.False(host.RaiseEvent("events", "go", "too late"));
    }

    [Theory]
    [InlineData(2, "ok after 3 calls")]
    [InlineData(5, "failed: flaky call 3")]
    public async Task A_retry_policy_retries_and_a_final_failure_reaches_the_workflow(int failures, string expected)
    {
        await using var services = Services();
        var host = services.GetRequiredService<EmbeddedWorkflowHost>();

        await host.ScheduleAsync(nameof(RetryWorkflow), $"retry-{failures}", failures, Ct);
        var outcome = await host.WaitForCompletionAsync($"retry-{failures}", Ct);

        Assert.True(outcome!.Succeeded, outcome.Error);
        Assert.Equal(expected, JsonSerializer.Deserialize<string>(outcome.Output!));
    }

    [Fact]
    public async Task A_workflow_that_no_longer_matches_its_journal_fails_instead_of_guessing()
    {
        await using var services = Services();
        var journal = services.GetRequiredService<IWorkflowJournal>();
        await journal.CreateInstanceAsync(new WorkflowInstanceRecord(
            "changed", nameof(StepsWorkflow), """["a"]""", WorkflowStatus.Running, null, null, Start), Ct);
        await journal.AppendAsync("changed", new JournalEntry(1, "activity", "SomeOtherActivity", "\"x\"", null, Start), Ct);
        var host = services.GetRequiredService<EmbeddedWorkflowHost>();

        await host.StartAsync(Ct);
        var outcome = await host.WaitForCompletionAsync("changed", Ct);

        Assert.False(outcome!.Succeeded);
        Assert.Contains("not deterministic", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_workflow_that_decides_differently_when_run_again_fails_on_its_first_replay()
    {
        await using var services = Services();
        var host = services.GetRequiredService<EmbeddedWorkflowHost>();

        await host.ScheduleAsync(nameof(NondeterministicWorkflow), "moody", "a", Ct);
        var outcome = await host.WaitForCompletionAsync("moody", Ct);

        Assert.False(outcome!.Succeeded);
        Assert.Contains("is not deterministic: step 1 was activity 'UpperActivity' and is now activity 'FlakyActivity'", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_workflow_that_awaits_something_other_than_its_context_fails()
    {
        await using var services = Services();
        var host = services.GetRequiredService<EmbeddedWorkflowHost>();

        await host.ScheduleAsync(nameof(SleepingWorkflow), "sleepy", "a", Ct);
        var outcome = await host.WaitForCompletionAsync("sleepy", Ct);

        Assert.False(outcome!.Succeeded);
        Assert.Contains("waits for something other than its context's steps", outcome.Error, StringComparison.Ordinal);
    }

    private ServiceProvider Services(Probe? probe = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Critical));
        services.AddSingleton(Options.Create(new DeployerOptions { DataDirectory = _data }));
        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton(probe ?? new Probe());
        services.AddScoped<ScopedResource>();
        services.AddSingleton<IHostApplicationLifetime, ApplicationLifetime>();
        services.AddSingleton<SqliteDatabase>();
        services.AddSingleton<IWorkflowJournal, SqliteWorkflowJournal>();
        services.AddSingleton(new WorkflowRegistry()
            .RegisterWorkflow<StepsWorkflow>()
            .RegisterWorkflow<EventWorkflow>()
            .RegisterWorkflow<RetryWorkflow>()
            .RegisterWorkflow<NondeterministicWorkflow>()
            .RegisterWorkflow<SleepingWorkflow>()
            .RegisterActivity<UpperActivity>()
            .RegisterActivity<FlakyActivity>());
        services.AddSingleton<EmbeddedWorkflowHost>();
        return services.BuildServiceProvider();
    }

    /// <summary>What the test activities and workflows saw, shared across hosts.</summary>
    internal sealed class Probe
    {
        public ConcurrentDictionary<string, int> Runs { get; } = new();

        public ConcurrentQueue<string> ScopeSeen { get; } = new();

        public TaskCompletionSource? Gate { get; init; }

        public int FlakyCalls;
    }

    /// <summary>Disposed with its scope; an activity that uses it after that has been abandoned.</summary>
    internal sealed class ScopedResource : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    internal sealed class UpperActivity(Probe probe, ScopedResource resource, IHostApplicationLifetime lifetime) : WorkflowActivity<string, string>
    {
        public override async Task<string> RunAsync(WorkflowActivityContext context, string input)
        {
            probe.Runs.AddOrUpdate(input, 1, (_, count) => count + 1);
            if (input == "wait" && probe.Gate is { } gate)
            {
                await gate.Task.WaitAsync(lifetime.ApplicationStopping);
                probe.ScopeSeen.Enqueue(resource.Disposed ? "ScopeDisposed" : "ScopeAlive");
            }

            return input.ToUpperInvariant();
        }
    }

    internal sealed class FlakyActivity(Probe probe) : WorkflowActivity<int, int>
    {
        public override Task<int> RunAsync(WorkflowActivityContext context, int input)
        {
            var call = Interlocked.Increment(ref probe.FlakyCalls);
            return call <= input ? throw new InvalidOperationException($"flaky call {call}") : Task.FromResult(call);
        }
    }

    internal sealed class StepsWorkflow : Workflow<string[], string>
    {
        public override async Task<string> RunAsync(WorkflowContext context, string[] input)
        {
            var results = new List<string>();
            foreach (var step in input)
            {
                results.Add(await context.CallActivityAsync<string>(nameof(UpperActivity), step));
            }

            await context.CreateTimer(TimeSpan.FromMilliseconds(10));
            return $"{string.Join(",", results)} at {new DateTimeOffset(context.CurrentUtcDateTime):O}";
        }
    }

    internal sealed class EventWorkflow : Workflow<string, string>
    {
        public override async Task<string> RunAsync(WorkflowContext context, string input)
        {
            var upper = await context.CallActivityAsync<string>(nameof(UpperActivity), input);
            var first = await context.WaitForExternalEventAsync<string>("go");
            var second = await context.WaitForExternalEventAsync<string>("go", TimeSpan.FromHours(1));
            return $"{upper}+{first}+{second}";
        }
    }

    internal sealed class RetryWorkflow : Workflow<int, string>
    {
        public override async Task<string> RunAsync(WorkflowContext context, int input)
        {
            try
            {
                var calls = await context.CallActivityAsync<int>(nameof(FlakyActivity), input,
                    new WorkflowTaskOptions(new WorkflowRetryPolicy(3, TimeSpan.FromMilliseconds(1))));
                return $"ok after {calls} calls";
            }
            catch (WorkflowTaskFailedException ex)
            {
                return $"failed: {ex.FailureDetails.ErrorMessage}";
            }
        }
    }

    /// <summary>Decides from state outside the workflow (as one reading a clock or a new GUID would): a different step when run again.</summary>
    internal sealed class NondeterministicWorkflow : Workflow<string, string>
    {
        private static readonly ConcurrentDictionary<string, int> Runs = new();

        public override async Task<string> RunAsync(WorkflowContext context, string input) =>
            Runs.AddOrUpdate(context.InstanceId, 1, (_, runs) => runs + 1) == 1
                ? await context.CallActivityAsync<string>(nameof(UpperActivity), input)
                : (await context.CallActivityAsync<int>(nameof(FlakyActivity), 0)).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Sleeps with Task.Delay instead of a durable timer: under Dapr it would never wake.</summary>
    internal sealed class SleepingWorkflow : Workflow<string, string>
    {
        public override async Task<string> RunAsync(WorkflowContext context, string input)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(1));
            return await context.CallActivityAsync<string>(nameof(UpperActivity), input);
        }
    }
}
