using System.CommandLine;
using System.Text.Json.Nodes;
using ModelPlatform.Cli.Views;

namespace ModelPlatform.Cli.Commands;

/// <summary><c>mp rollout pause|resume|abort NAME</c>: steer a progressive rollout (<c>POST /v1/deployments/{name}/rollout/{action}</c>).</summary>
internal static class RolloutCommand
{
    private static readonly (string Action, string Description, string Done)[] Actions =
    [
        ("pause", "Hold the canary's traffic where it is", "paused"),
        ("resume", "Go on with a paused rollout", "resumed"),
        ("abort", "Stop the rollout and send all traffic back to stable", "aborted"),
    ];

    public static Command Create(CommandRunner runner)
    {
        var command = new Command("rollout", "Steer a progressive rollout (deploy --rollout starts one)");
        foreach (var (action, description, done) in Actions)
        {
            var name = new Argument<string>("name") { Description = "The deployment" };
            var sub = new Command(action, description) { name };
            runner.SetAction(sub, async (parse, session, cancellationToken) =>
            {
                var deployment = parse.GetValue(name)!;
                var answer = await session.Deployer.RolloutAsync(deployment, action, cancellationToken);
                session.Output.Json(answer);
                var phase = answer is JsonObject { } node && node["status"] is JsonObject ? $" ({DeploymentView.From(node).Status.Phase})" : string.Empty;
                session.Output.Line($"{deployment}: rollout {done}{phase}");
                return ExitCodes.Success;
            });
            command.Subcommands.Add(sub);
        }

        return command;
    }
}
