using System.CommandLine;
using ModelPlatform.Cli.Output;
using ModelPlatform.Cli.Views;

namespace ModelPlatform.Cli.Commands;

/// <summary><c>mp list</c>: every deployment with its phase, ready replicas and traffic.</summary>
internal static class ListCommand
{
    public static Command Create(CommandRunner runner)
    {
        var command = new Command("list", "Every deployment: phase, ready replicas, traffic");
        runner.SetAction(command, async (_, session, cancellationToken) =>
        {
            var items = await session.Deployer.ListAsync(cancellationToken);
            session.Output.Json(items);
            if (items.Count == 0)
            {
                session.Output.Line("No deployments. `mp deploy ./model.onnx --name NAME` makes one.");
            }
            else
            {
                session.Output.Write(DeploymentRenderer.List(items.Select(item => DeploymentView.From(item!))));
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
