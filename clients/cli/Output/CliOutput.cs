using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ModelPlatform.Cli.Output;

/// <summary>
/// Where a command's results go. Human output is written for a terminal (tables, colour, a progress
/// bar) and falls back to plain lines when stdout is not one; JSON output is one document per
/// result on stdout and nothing else there, so <c>| jq</c> always works. Errors go to stderr.
/// </summary>
internal sealed class CliOutput
{
    // Relaxed escaping: the JSON is printed for a terminal or a pipe, never embedded in HTML.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    internal static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TextWriter _out;

    // Made on first use: commands that print only lines or JSON (deploy in a script, every
    // --output json) need no terminal detection, and building it is a good part of a start.
    private readonly Lazy<IAnsiConsole> _console;

    public CliOutput(CliEnvironment environment, OutputFormat format)
    {
        _out = environment.Out;
        Error = environment.Error;
        Format = format;
        Interactive = environment.Interactive && format == OutputFormat.Human;
        _console = new Lazy<IAnsiConsole>(() => CreateConsole(environment.Out, Interactive), LazyThreadSafetyMode.None);
    }

    public OutputFormat Format { get; }

    public bool IsJson => Format == OutputFormat.Json;

    /// <summary>True when stdout is a terminal and the output is for people: progress bars and colour.</summary>
    public bool Interactive { get; }

    public IAnsiConsole Console => _console.Value;

    /// <summary>Whether anything made the Spectre console (tests: plain lines and JSON do not).</summary>
    internal bool ConsoleCreated => _console.IsValueCreated;

    public TextWriter Error { get; }

    /// <summary>A plain line, never wrapped or marked up (URLs and commands stay copyable). Human output only.</summary>
    public void Line(string text = "")
    {
        if (!IsJson)
        {
            _out.WriteLine(text);
        }
    }

    /// <summary>A table or other renderable. Human output only.</summary>
    public void Write(IRenderable renderable)
    {
        if (!IsJson)
        {
            Console.Write(renderable);
        }
    }

    /// <summary>A result document. JSON output only.</summary>
    public void Json(JsonNode? document)
    {
        if (IsJson)
        {
            _out.WriteLine(document?.ToJsonString(Indented) ?? "null");
        }
    }

    /// <summary>One event of a stream (a watch, a followed log) as one line of JSON. JSON output only.</summary>
    public void JsonLine(JsonNode? document)
    {
        if (IsJson)
        {
            _out.WriteLine(document?.ToJsonString(Compact) ?? "null");
        }
    }

    private static IAnsiConsole CreateConsole(TextWriter output, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!interactive)
        {
            // Not a terminal: no width to fit, and a wrapped table row is harder to grep.
            console.Profile.Width = 200;
        }

        return console;
    }
}
