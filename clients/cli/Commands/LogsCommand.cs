using System.CommandLine;
using System.Text.Json.Nodes;

namespace ModelPlatform.Cli.Commands;

/// <summary><c>mp logs NAME [--variant canary] [--replica n] [--tail n] [--follow]</c>: what a replica wrote.</summary>
internal static class LogsCommand
{
    public static Command Create(CommandRunner runner)
    {
        var name = new Argument<string>("name") { Description = "The deployment" };
        var variant = new Option<string>("--variant") { Description = "stable (default) or canary", DefaultValueFactory = _ => "stable" };
        variant.AcceptOnlyFromAmong("stable", "canary");
        var replica = new Option<int>("--replica") { Description = "The replica's ordinal (default 0)" };
        var tail = new Option<int>("--tail") { Description = "Lines to show, 1 to 10000 (default 200)", DefaultValueFactory = _ => 200 };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines until Ctrl+C" };
        var interval = new Option<double>("--interval") { Description = "Seconds between reads with --follow (default 1)", DefaultValueFactory = _ => 1.0 };
        var command = new Command("logs", "The last lines a replica wrote") { name, variant, replica, tail, follow, interval };
        runner.SetAction(command, async (parse, session, cancellationToken) =>
        {
            var (deployment, which, ordinal, lines) = (parse.GetValue(name)!, parse.GetValue(variant)!, parse.GetValue(replica), parse.GetValue(tail));
            var seen = LogFollower.Lines(await session.Deployer.LogsAsync(deployment, which, ordinal, lines, cancellationToken));
            Print(session, seen);
            if (!parse.GetValue(follow))
            {
                return ExitCodes.Success;
            }

            try
            {
                while (true)
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Max(0.1, parse.GetValue(interval))), cancellationToken);
                    var now = LogFollower.Lines(await session.Deployer.LogsAsync(deployment, which, ordinal, lines, cancellationToken));
                    Print(session, LogFollower.NewLines(seen, now));
                    seen = now;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Success;
            }
        });
        return command;
    }

    private static void Print(Session session, IReadOnlyList<string> lines)
    {
        foreach (var line in lines)
        {
            session.Output.JsonLine(JsonValue.Create(line));
            session.Output.Line(line);
        }
    }
}
