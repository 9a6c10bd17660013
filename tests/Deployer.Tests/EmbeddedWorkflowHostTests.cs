using System.Collections.Concurrent;
using System.Text.Json;
using Dapr.Workflow;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.State.Sqlite;
using ModelPlatform.Deployer.Workflows.Embedded;

namespace ModelPlatform.Deployer.Tests;

/// <summary>
/// The in-process host runs Dapr workflow classes with Dapr's durability: journaled steps replay
/// instead of running again, and timers, events, child workflows and retry policies behave.
/// </summary>
public sealed class EmbeddedWorkflowHostTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("modelplatform-workflows-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task Steps_run_in_order_and_the_output_is_kept()
    {
        await using var services = Services();
        var host = services.GetRequiredService<EmbeddedWorkflowHost>();

        await host.ScheduleAsync(nameof(StepsWorkflow), "steps", new[] { "a", "b" }, Ct);
        var outcome = await host.WaitForCompletionAsync("steps", Ct);

        Assert.True(outcome!.Succeeded, outcome.Error);
        Assert.Equal("A,B", JsonSerializer.Deserialize<string>(outcome.Output!));
        Assert.Equal("2 steps done", host.CustomStatus("steps"));
        var journal = await services.GetRequiredService<IWorkflowJournal>().ReadAsync("steps", Ct);
        Assert.Equal(["activity", "activity", "timer"], journal.Select(entry => entry.Kind));
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

            await host.StopAsync(Ct);
        }

        await using var second = Services(probe);
        var resumed = second.GetRequiredService<EmbeddedWorkflowHost>();
        await resumed.StartAsync(Ct);
        probe.Gate.SetResult();
        var outcome = await resumed.WaitForCompletionAsync("resume", Ct);

        Assert.True(outcome!.Succeeded, outcome.Error);
        Assert.Equal("ONCE,WAIT", JsonSerializer.Deserialize<string>(outcome.Output!));
        Assert.Equal(1, probe.Runs["once"]);
        Assert.Equal(2, probe.Runs["wait"]);
    }

    [Fact]
    public async Task A_child_workflow_returns_its_result_and_an_external_event_is_delivered()
    {
        await using var services = Services();
        var host = services.GetRequiredService<EmbeddedWorkflowHost>();

        await host.ScheduleAsync(nameof(ParentWorkflow), "parent", "x", Ct);
        host.RaiseEvent("parent", "go", "event");
        var outcome = await host.WaitForCompletionAsync("parent", Ct);

        Assert.True(outcome!.Succeeded, outcome.Error);
        Assert.Equal("X+event", JsonSerializer.Deserialize<string>(outcome.Output!));
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
            "changed", nameof(StepsWorkflow), """["a"]""", WorkflowStatus.Running, null, null, DateTimeOffset.UtcNow), Ct);
        await journal.AppendAsync("changed", new JournalEntry(1, "activity", "SomeOtherActivity", "\"x\"", null, DateTimeOffset.UtcNow), Ct);
        var host = services.GetRequiredService<EmbeddedWorkflowHost>();

        await host.StartAsync(Ct);
        var outcome = await host.WaitForCompletionAsync("changed", Ct);

        Assert.False(outcome!.Succeeded);
        Assert.Contains("not deterministic", outcome.Error, StringComparison.Ordinal);
    }

    private ServiceProvider Services(Probe? probe = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(Options.Create(new DeployerOptions { DataDirectory = _data }));
        services.AddSingleton(probe ?? new Probe());
        services.AddSingleton<SqliteDatabase>();
        services.AddSingleton<IWorkflowJournal, SqliteWorkflowJournal>();
        services.AddSingleton(new WorkflowRegistry()
            .RegisterWorkflow<StepsWorkflow>()
            .RegisterWorkflow<ParentWorkflow>()
            .RegisterWorkflow<RetryWorkflow>()
            .RegisterActivity<UpperActivity>()
            .RegisterActivity<FlakyActivity>());
        services.AddSingleton<EmbeddedWorkflowHost>();
        return services.BuildServiceProvider();
    }

    /// <summary>What the test activities saw, shared across hosts.</summary>
    internal sealed class Probe
    {
        public ConcurrentDictionary<string, int> Runs { get; } = new();

        public TaskCompletionSource? Gate { get; init; }

        public int FlakyCalls;
    }

    internal sealed class UpperActivity(Probe probe) : WorkflowActivity<string, string>
    {
        public override async Task<string> RunAsync(WorkflowActivityContext context, string input)
        {
            probe.Runs.AddOrUpdate(input, 1, (_, count) => count + 1);
            if (input == "wait" && probe.Gate is { } gate)
            {
                await gate.Task;
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
            context.SetCustomStatus($"{results.Count} steps done");
            return string.Join(",", results);
        }
    }

    internal sealed class ParentWorkflow : Workflow<string, string>
    {
        public override async Task<string> RunAsync(WorkflowContext context, string input)
        {
            var child = await context.CallChildWorkflowAsync<string>(nameof(StepsWorkflow), new[] { input });
            var received = await context.WaitForExternalEventAsync<string>("go");
            return $"{child}+{received}";
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
}
