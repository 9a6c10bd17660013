using System.Diagnostics;
using System.Text.Json.Nodes;
using ModelPlatform.Cli.Http;
using ModelPlatform.Cli.Views;

namespace ModelPlatform.Cli.Waiting;

/// <summary>
/// Polls a deployment until a change is applied (its revision observed, phase Ready), it failed, it
/// is gone, or time runs out; reports each new state (phase, ready replicas) as it sees it. Between
/// polls it waits the interval, or less when the route table changes (<see cref="RouteTableChanges"/>).
/// </summary>
internal sealed class DeploymentWaiter(DeployerClient deployer, TimeSpan pollInterval)
{
    public async Task<JsonObject> WaitForRevisionAsync(
        string name, long revision, TimeSpan timeout, Action<DeploymentView>? onChange, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var changes = new RouteTableChanges(deployer);
        string? last = null;
        while (true)
        {
            var node = await deployer.FindAsync(name, cancellationToken)
                ?? throw new CliFailure(ExitCodes.NotFound, $"Deployment '{name}' was deleted while waiting for it.");
            var view = DeploymentView.From(node);
            var state = StateKey(view);
            if (state != last)
            {
                onChange?.Invoke(view);
                last = state;
            }

            if (view.Status.ObservedRevision >= revision)
            {
                if (view.Status.Phase == "Ready")
                {
                    return node;
                }

                if (view.Status.Phase == "Failed")
                {
                    throw new CliFailure(ExitCodes.DeploymentFailed, $"Deployment '{name}' failed to apply revision {revision}", view.Status.ReadyMessage,
                        $"`mp logs {name}` shows what its replicas wrote; `mp status {name}` its conditions.");
                }
            }

            if (clock.Elapsed > timeout)
            {
                throw new CliFailure(ExitCodes.TimedOut, $"Deployment '{name}' did not get ready within {timeout.TotalSeconds:0} s",
                    $"It is {PhaseLine.Describe(view)}. {view.Status.ReadyMessage}".Trim(),
                    $"It may still get there: `mp status {name} --watch` follows it. --timeout waits longer.");
            }

            await changes.WaitAsync(pollInterval, cancellationToken);
        }
    }

    public async Task WaitForGoneAsync(string name, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var changes = new RouteTableChanges(deployer);
        while (await deployer.FindAsync(name, cancellationToken) is { } node)
        {
            if (clock.Elapsed > timeout)
            {
                throw new CliFailure(ExitCodes.TimedOut, $"Deployment '{name}' was not gone within {timeout.TotalSeconds:0} s",
                    $"It is {PhaseLine.Describe(DeploymentView.From(node))}.", "A repeated `mp delete` retries a delete that stalled.");
            }

            await changes.WaitAsync(pollInterval, cancellationToken);
        }
    }

    private static string StateKey(DeploymentView view) => $"{view.Status.Phase}|{view.Status.ObservedRevision}|{PhaseLine.Replicas(view)}";
}
