using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace ModelPlatform.Cli.Commands;

/// <summary><c>mp history NAME</c>: the deployment's audit trail, newest first.</summary>
internal static class HistoryCommand
{
    public static Command Create(CommandRunner runner)
    {
        var name = new Argument<string>("name") { Description = "The deployment (also one deleted since)" };
        var limit = new Option<int>("--limit") { Description = "Entries to show, 1 to 500 (default 20)", DefaultValueFactory = _ => 20 };
        var command = new Command("history", "Every change of a deployment: who, when, what, and how it ended") { name, limit };
        runner.SetAction(command, async (parse, session, cancellationToken) =>
        {
            var page = await session.Deployer.HistoryAsync(parse.GetValue(name)!, parse.GetValue(limit), cancellationToken);
            session.Output.Json(page);
            session.Output.Write(Table(page["items"] as JsonArray ?? []));
            return ExitCodes.Success;
        });
        return command;
    }

    internal static Table Table(JsonArray items)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumns("ID", "TIME (UTC)", "ACTION", "ACTOR", "REVISION", "CHANGE", "OUTCOME");
        foreach (var entry in items.OfType<JsonObject>())
        {
            var time = DateTimeOffset.TryParse(entry["time"]?.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
                : "-";
            var outcome = entry["outcome"]?["status"]?.ToString() ?? "-";
            if (entry["outcome"]?["reason"]?.ToString() is { Length: > 0 } reason)
            {
                outcome += ": " + reason;
            }

            table.AddRow(
                Markup.Escape(entry["id"]?.ToString() ?? "-"),
                time,
                Markup.Escape(entry["action"]?.ToString() ?? "-"),
                Markup.Escape(entry["actor"]?.ToString() ?? "-"),
                Markup.Escape(entry["revision"]?.ToString() ?? "-"),
                Markup.Escape(Change(entry)),
                Markup.Escape(outcome));
        }

        return table;
    }

    /// <summary>What the entry changed, in a few words: the traffic moved, or the model the deployment runs after it.</summary>
    internal static string Change(JsonObject entry)
    {
        var (before, after) = (entry["before"] as JsonObject, entry["after"] as JsonObject);
        return entry["action"]?.ToString() switch
        {
            "traffic" => $"canary {Canary(before)}% -> {Canary(after)}%",
            "delete" => string.Empty,
            _ when after?["canary"] is JsonObject canary && before?["canary"] is null => "canary " + Source(canary),
            _ => "stable " + Source(after?["stable"] as JsonObject),
        };
    }

    private static string Canary(JsonObject? state) => state?["traffic"]?["canary"]?.ToString() ?? "0";

    private static string Source(JsonObject? variant) => variant?["model"]?["uri"]?.ToString() ?? variant?["image"]?.ToString() ?? "-";
}
