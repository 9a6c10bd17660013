using System.CommandLine;
using System.Text.Json.Nodes;
using ModelPlatform.Cli.Output;
using ModelPlatform.Cli.Views;
using ModelPlatform.Cli.Waiting;

namespace ModelPlatform.Cli.Commands;

/// <summary>
/// The operator's changes: <c>traffic</c>, <c>promote</c>, <c>rollback</c>, <c>delete</c>. Each waits
/// until the deployer has applied it (unless --no-wait), so the next command sees it done.
/// </summary>
internal static class ChangeCommands
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public static Command Traffic(CommandRunner runner)
    {
        var name = new Argument<string>("name") { Description = "The deployment" };
        var percent = new Argument<int>("percent")
        {
            Description = "The canary's share of traffic, 0 to 100; stable gets the rest",
            CustomParser = result => WaitOptions.WholeNumber(result, "percent", 0, 100),
        };
        var (timeout, noWait) = (WaitOptions.Timeout(120), WaitOptions.NoWait());
        var command = new Command("traffic", "Set the canary's share of traffic") { name, percent, timeout, noWait };
        runner.SetAction(command, (parse, session, cancellationToken) => ApplyAsync(parse, session, parse.GetValue(name)!, timeout, noWait,
            () => session.Deployer.SetTrafficAsync(parse.GetValue(name)!, parse.GetValue(percent), cancellationToken),
            view => $"{view.Name}: {DeploymentRenderer.Traffic(view)}", cancellationToken));
        return command;
    }

    public static Command Promote(CommandRunner runner)
    {
        var name = new Argument<string>("name") { Description = "The deployment" };
        var replicas = new Option<int?>("--replicas") { Description = "Replicas of the promoted variant (default: the stable's count)" };
        var (timeout, noWait) = (WaitOptions.Timeout(300), WaitOptions.NoWait());
        var command = new Command("promote", "Make the canary the stable variant (traffic moves first, the old stable stops after)") { name, replicas, timeout, noWait };
        runner.SetAction(command, (parse, session, cancellationToken) => ApplyAsync(parse, session, parse.GetValue(name)!, timeout, noWait,
            () => session.Deployer.PromoteAsync(parse.GetValue(name)!, parse.GetValue(replicas), cancellationToken),
            view => $"{view.Name}: the canary is now stable, running {DeploymentView.Source(view.Stable)}", cancellationToken));
        return command;
    }

    public static Command Rollback(CommandRunner runner)
    {
        var name = new Argument<string>("name") { Description = "The deployment" };
        var (timeout, noWait) = (WaitOptions.Timeout(120), WaitOptions.NoWait());
        var command = new Command("rollback", "Remove the canary (traffic returns to stable first)") { name, timeout, noWait };
        runner.SetAction(command, (parse, session, cancellationToken) => ApplyAsync(parse, session, parse.GetValue(name)!, timeout, noWait,
            () => session.Deployer.RollbackAsync(parse.GetValue(name)!, cancellationToken),
            view => $"{view.Name}: the canary is gone; stable serves all traffic, running {DeploymentView.Source(view.Stable)}", cancellationToken));
        return command;
    }

    public static Command Delete(CommandRunner runner)
    {
        var name = new Argument<string>("name") { Description = "The deployment" };
        var (timeout, noWait) = (WaitOptions.Timeout(120), WaitOptions.NoWait());
        var command = new Command("delete", "Delete a deployment: its routes drain, then its replicas stop") { name, timeout, noWait };
        runner.SetAction(command, async (parse, session, cancellationToken) =>
        {
            var deployment = parse.GetValue(name)!;
            var answer = await session.Deployer.DeleteAsync(deployment, cancellationToken);
            if (!parse.GetValue(noWait))
            {
                await new DeploymentWaiter(session.Deployer, PollInterval).WaitForGoneAsync(deployment, TimeSpan.FromSeconds(parse.GetValue(timeout)), cancellationToken);
            }

            session.Output.Json(new JsonObject { ["name"] = deployment, ["deleted"] = !parse.GetValue(noWait), ["deployment"] = answer?.DeepClone() });
            session.Output.Line(parse.GetValue(noWait) ? $"{deployment}: deleting" : $"{deployment}: deleted");
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<int> ApplyAsync(
        ParseResult parse, Session session, string name, Option<int> timeout, Option<bool> noWait,
        Func<Task<JsonObject>> change, Func<DeploymentView, string> describe, CancellationToken cancellationToken)
    {
        var accepted = await change();
        var result = accepted;
        if (!parse.GetValue(noWait))
        {
            result = await new DeploymentWaiter(session.Deployer, PollInterval).WaitForRevisionAsync(
                name, DeploymentView.From(accepted).Status.Revision, TimeSpan.FromSeconds(parse.GetValue(timeout)), null, cancellationToken);
        }

        var view = DeploymentView.From(result);
        session.Output.Json(result);
        session.Output.Line($"{describe(view)} (revision {view.Status.Revision}{(parse.GetValue(noWait) ? ", applying" : string.Empty)})");
        return ExitCodes.Success;
    }
}
