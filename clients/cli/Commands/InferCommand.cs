using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace ModelPlatform.Cli.Commands;

/// <summary><c>mp infer NAME --input request.json</c>: one Open Inference Protocol request through the gateway.</summary>
internal static class InferCommand
{
    private const int ValuesShown = 10;

    public static Command Create(CommandRunner runner)
    {
        var name = new Argument<string>("name") { Description = "The deployment (the model's name at the gateway)" };
        var input = new Option<string>("--input", "-i") { Description = "A JSON inference request (KServe V2), or - for stdin", Required = true, HelpName = "file" };
        var variant = new Option<string?>("--variant") { Description = "Send it to this variant (stable or canary) whatever the traffic split" };
        variant.AcceptOnlyFromAmong("stable", "canary");
        var command = new Command("infer", "Send an inference request through the gateway and show the outputs") { name, input, variant };
        runner.SetAction(command, async (parse, session, cancellationToken) =>
        {
            var model = parse.GetValue(name)!;
            var body = await ReadBodyAsync(parse.GetValue(input)!, session.CurrentDirectory, cancellationToken);
            var gateway = await session.GatewayAsync(model, null, cancellationToken);
            var (answer, served) = await gateway.InferAsync(model, body, parse.GetValue(variant), cancellationToken);
            session.Output.Json(answer);
            foreach (var line in Summary(answer, served))
            {
                session.Output.Line(line);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Each output as <c>name DATATYPE [shape]: the first values</c>, and the variant that answered.</summary>
    internal static IEnumerable<string> Summary(JsonNode? answer, string? variant)
    {
        foreach (var output in (answer?["outputs"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var data = output["data"] as JsonArray ?? [];
            var shown = string.Join(", ", data.Take(ValuesShown).Select(value => value?.ToJsonString() ?? "null"));
            var more = data.Count > ValuesShown ? string.Create(CultureInfo.InvariantCulture, $", ... ({data.Count - ValuesShown:N0} more)") : string.Empty;
            yield return $"{output["name"]}  {output["datatype"]}  {output["shape"]?.ToJsonString()}: {shown}{more}";
        }

        if (variant is not null)
        {
            yield return $"(served by the {variant} variant)";
        }
    }

    private static async Task<string> ReadBodyAsync(string input, string currentDirectory, CancellationToken cancellationToken)
    {
        if (input == "-")
        {
            return await Console.In.ReadToEndAsync(cancellationToken);
        }

        var path = Path.GetFullPath(input, currentDirectory);
        return File.Exists(path)
            ? await File.ReadAllTextAsync(path, cancellationToken)
            : throw CliFailure.Usage($"There is no file at {path}.");
    }
}
