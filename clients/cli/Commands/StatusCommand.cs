using System.CommandLine;
using ModelPlatform.Cli.Output;
using ModelPlatform.Cli.Views;

namespace ModelPlatform.Cli.Commands;

/// <summary><c>mp status NAME [--watch]</c>: one deployment's observed status; with --watch, a line per change until Ctrl+C.</summary>
internal static class StatusCommand
{
    public static Command Create(CommandRunner runner)
    {
        var name = new Argument<string>("name") { Description = "The deployment" };
        var watch = new Option<bool>("--watch", "-w") { Description = "Keep polling and print a line (with json, a document) whenever something changes, until Ctrl+C" };
        var interval = new Option<double>("--interval") { Description = "Seconds between polls with --watch (default 1)", DefaultValueFactory = _ => 1.0 };
        var command = new Command("status", "One deployment: phase, revision, URL, traffic, replicas, conditions") { name, watch, interval };
        runner.SetAction(command, async (parse, session, cancellationToken) =>
        {
            var deployment = parse.GetValue(name)!;
            var (node, _) = await session.Deployer.GetAsync(deployment, cancellationToken);
            if (!parse.GetValue(watch))
            {
                session.Output.Json(node);
                DeploymentRenderer.Status(DeploymentView.From(node), session.Output);
                return ExitCodes.Success;
            }

            return await WatchAsync(session, deployment, node, TimeSpan.FromSeconds(Math.Max(0.1, parse.GetValue(interval))), cancellationToken);
        });
        return command;
    }

    private static async Task<int> WatchAsync(Session session, string name, System.Text.Json.Nodes.JsonObject first, TimeSpan interval, CancellationToken cancellationToken)
    {
        var output = session.Output;
        string? last = null;
        var node = first;
        try
        {
            while (node is not null)
            {
                var view = DeploymentView.From(node);
                var key = DeploymentRenderer.WatchKey(view);
                if (key != last)
                {
                    output.JsonLine(node);
                    output.Line(DeploymentRenderer.WatchLine(view, DateTimeOffset.Now));
                    last = key;
                }

                await Task.Delay(interval, cancellationToken);
                node = await session.Deployer.FindAsync(name, cancellationToken);
            }

            output.JsonLine(new System.Text.Json.Nodes.JsonObject { ["name"] = name, ["deleted"] = true });
            output.Line($"{DateTimeOffset.Now:HH:mm:ss}  {name} is gone.");
            return ExitCodes.Success;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C is how a watch ends.
            return ExitCodes.Success;
        }
    }
}
