using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelPlatform.Cli.Output;
using ModelPlatform.Cli.Views;
using Spectre.Console;

namespace ModelPlatform.Cli.Commands;

/// <summary><c>mp models [NAME]</c>: the deployer's model store, every model or one model's versions.</summary>
internal static class ModelsCommand
{
    public static Command Create(CommandRunner runner)
    {
        var name = new Argument<string?>("name") { Description = "A model: list its versions", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("models", "The models in the deployer's store, or one model's versions") { name };
        runner.SetAction(command, async (parse, session, cancellationToken) =>
        {
            if (parse.GetValue(name) is { } model)
            {
                var versions = await session.Deployer.ModelAsync(model, cancellationToken);
                session.Output.Json(versions);
                session.Output.Write(Versions(versions["versions"] as JsonArray ?? []));
                return ExitCodes.Success;
            }

            var all = await session.Deployer.ModelsAsync(cancellationToken) as JsonArray ?? [];
            session.Output.Json(all);
            if (all.Count == 0)
            {
                session.Output.Line("No models stored yet. `mp deploy ./model.onnx --name NAME` uploads one.");
            }
            else
            {
                session.Output.Write(Summaries(all));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    internal static Table Summaries(JsonArray models)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumns("NAME", "LATEST", "VERSIONS", "DIGEST", "SIZE", "URI");
        foreach (var model in models.OfType<JsonObject>())
        {
            var latest = model["latest"] is JsonObject node ? StoredModelView.From(node) : null;
            table.AddRow(
                Markup.Escape(model["name"]?.ToString() ?? "-"),
                Markup.Escape(model["latestVersion"]?.ToString() ?? latest?.VersionText ?? "-"),
                Markup.Escape(model["versions"] switch
                {
                    JsonArray list => list.Count.ToString(CultureInfo.InvariantCulture),
                    { } count => count.ToString(),
                    null => "-",
                }),
                Markup.Escape(StoredModelView.ShortDigest(latest?.Digest)),
                latest is null ? "-" : Sizes.Bytes(latest.Size),
                Markup.Escape(latest?.Uri ?? "-"));
        }

        return table;
    }

    internal static Table Versions(JsonArray versions)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumns("VERSION", "DIGEST", "SIZE", "CREATED (UTC)", "INPUTS", "OUTPUTS");
        foreach (var version in versions.OfType<JsonObject>().Select(StoredModelView.From))
        {
            table.AddRow(
                Markup.Escape(version.VersionText),
                Markup.Escape(StoredModelView.ShortDigest(version.Digest)),
                Sizes.Bytes(version.Size),
                version.CreatedAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-",
                Markup.Escape(string.Join("; ", (version.Inputs ?? []).Select(TensorView.Describe))),
                Markup.Escape(string.Join("; ", (version.Outputs ?? []).Select(TensorView.Describe))));
        }

        return table;
    }
}
