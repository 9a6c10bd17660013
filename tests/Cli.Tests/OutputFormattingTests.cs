using System.Text.Json;
using System.Text.Json.Nodes;
using ModelPlatform.Cli.Commands;
using ModelPlatform.Cli.Output;
using ModelPlatform.Cli.Views;
using ModelPlatform.Cli.Waiting;

namespace ModelPlatform.Cli.Tests;

/// <summary>What the CLI prints and sends, from the documents the servers answer with.</summary>
public sealed class OutputFormattingTests
{
    private static List<TensorView> Tensors(string json) => TensorView.ListFrom(JsonNode.Parse(json));

    [Fact]
    public void A_sample_request_fits_each_input_with_one_for_every_dimension_of_any_size()
    {
        var inputs = Tensors("""
            [{"name":"a","datatype":"FP32","shape":[-1,3]},
             {"name":"mask","datatype":"BOOL","shape":["batch",2]},
             {"name":"ids","datatype":"INT64","shape":[2]},
             {"name":"text","datatype":"BYTES","shape":[1]}]
            """);

        var body = SampleRequest.For(inputs);

        Assert.Equal(
            """{"inputs":[{"name":"a","datatype":"FP32","shape":[1,3],"data":[0,0,0]},{"name":"mask","datatype":"BOOL","shape":[1,2],"data":[false,false]},{"name":"ids","datatype":"INT64","shape":[2],"data":[0,0]},{"name":"text","datatype":"BYTES","shape":[1],"data":[""]}]}""",
            body.ToJsonString());
        Assert.Equal(8, SampleRequest.ValueCount(inputs));
    }

    [Fact]
    public void A_small_sample_goes_inline_into_the_curl_and_a_large_one_only_into_a_file()
    {
        var folder = Directory.CreateTempSubdirectory("mp-sample-").FullName;
        var small = StoredModelView.From(JsonNode.Parse("""{"name":"addmul","size":1,"uri":"models:/addmul","inputs":[{"name":"a","datatype":"FP32","shape":[-1,3]}],"outputs":[]}""")!);
        var large = StoredModelView.From(JsonNode.Parse("""{"name":"resnet","size":1,"uri":"models:/resnet","inputs":[{"name":"x","datatype":"FP32","shape":[1,3,224,224]}],"outputs":[]}""")!);

        var (inlineBody, inline, noFile) = new ServedModel("addmul", null, new Uri("http://127.0.0.1:5000/"), small).WriteSample(folder);
        var (fileBody, fromFile, file) = new ServedModel("resnet", "canary", new Uri("http://127.0.0.1:5000/"), large).WriteSample(folder);

        Assert.Null(noFile);
        Assert.NotNull(inlineBody);
        Assert.Null(fileBody);
        Assert.Equal("""curl -s -X POST 'http://127.0.0.1:5000/v2/models/addmul/infer' -H 'Content-Type: application/json' -d '{"inputs":[{"name":"a","datatype":"FP32","shape":[1,3],"data":[0,0,0]}]}'""", inline);
        Assert.Equal("resnet-request.json", file);
        Assert.Equal("""curl -s -X POST 'http://127.0.0.1:5000/v2/models/resnet/infer' -H 'x-model-variant: canary' -H 'Content-Type: application/json' -d '@resnet-request.json'""", fromFile);
        Assert.Equal(150_528, JsonNode.Parse(File.ReadAllText(Path.Combine(folder, file!)))!["inputs"]![0]!["data"]!.AsArray().Count);
    }

    [Fact]
    public void Single_quotes_in_a_curl_argument_survive_the_shell() =>
        Assert.Equal("""'it'\''s'""", CurlCommand.Quote("it's"));

    [Fact]
    public void The_canary_request_is_the_deployment_as_it_is_with_the_new_canary_at_no_traffic()
    {
        var current = JsonNode.Parse("""
            {"name":"fraud","stable":{"model":{"format":"onnx","uri":"models:/fraud@sha256:aa"},"replicas":2},"canary":null,
             "traffic":{"stable":100,"canary":0},"access":{"apiKeys":[{"name":"team","sha256":"ab"}]},"limits":null,"somethingNew":{"kept":true},
             "status":{"phase":"Ready","revision":1,"observedRevision":1}}
            """)!.AsObject();
        var canary = new JsonObject { ["model"] = new JsonObject { ["format"] = "onnx", ["uri"] = "models:/fraud@sha256:bb" } };

        var request = DeployCommand.CanaryRequest(current, canary);

        Assert.Null(request["status"]);
        Assert.Equal("""{"canary":0}""", request["traffic"]!.ToJsonString());
        Assert.Equal("models:/fraud@sha256:bb", request["canary"]!["model"]!["uri"]!.GetValue<string>());
        Assert.Equal(2, request["stable"]!["replicas"]!.GetValue<int>());
        Assert.Equal("team", request["access"]!["apiKeys"]![0]!["name"]!.GetValue<string>());
        Assert.True(request["somethingNew"]!["kept"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000/v2/models/fraud", "http://127.0.0.1:5000/")]
    [InlineData("https://models.example.com/ml/v2/models/fraud", "https://models.example.com/ml/")]
    [InlineData("http://127.0.0.1:5000/elsewhere", "http://127.0.0.1:5000/")]
    public void The_gateway_is_the_deployments_url_without_its_model_path(string url, string expected) =>
        Assert.Equal(expected, Session.GatewayBase(new Uri(url), "fraud").AbsoluteUri);

    [Fact]
    public void A_deployment_reads_leniently_and_its_phase_line_shows_each_variants_ready_replicas()
    {
        var view = DeploymentView.From(JsonNode.Parse("""
            {"name":"fraud","stable":{},"canary":{},"traffic":{"stable":90,"canary":10},"unknownField":1,
             "status":{"phase":"Provisioning","revision":3,"observedRevision":2,"url":"u","newStatusField":[],
                       "variants":{"canary":{"replicas":1,"readyReplicas":0,"endpoints":[],"restarts":0,"logs":[]},
                                   "stable":{"replicas":2,"readyReplicas":2,"endpoints":[],"restarts":1,"logs":[]}},
                       "conditions":[]}}
            """)!);

        Assert.Equal("    1.50 s  Provisioning stable 2/2 ready, canary 0/1 ready", PhaseLine.Format(view, TimeSpan.FromSeconds(1.5)));
        Assert.Equal("stable 90%, canary 10%", DeploymentRenderer.Traffic(view));
    }

    [Fact]
    public void The_list_table_has_a_row_per_deployment()
    {
        var views = new[] { "alpha", "beta" }.Select(name => DeploymentView.From(JsonNode.Parse(
            """{"name":"NAME","stable":{},"traffic":{"stable":100,"canary":0},"status":{"phase":"Ready","revision":1,"observedRevision":1,"variants":{"stable":{"replicas":1,"readyReplicas":1,"restarts":0}}}}""".Replace("NAME", name, StringComparison.Ordinal))!));
        var output = new CliOutput(new CliEnvironment(new StringWriter(), new StringWriter(), _ => null, "/", false), OutputFormat.Human);
        using var text = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(text),
            Ansi = Spectre.Console.AnsiSupport.No,
            ColorSystem = Spectre.Console.ColorSystemSupport.NoColors,
        });
        console.Profile.Width = 200;

        console.Write(DeploymentRenderer.List(views));

        var rows = text.ToString().Split('\n');
        Assert.Contains(rows, row => row.Contains("alpha", StringComparison.Ordinal) && row.Contains("1/1 ready", StringComparison.Ordinal) && row.Contains("stable 100%, canary 0%", StringComparison.Ordinal));
        Assert.Contains(rows, row => row.Contains("beta", StringComparison.Ordinal));
        Assert.False(output.IsJson);
    }

    [Fact]
    public void An_inference_answer_shows_each_output_with_its_first_values_and_the_variant()
    {
        var answer = JsonNode.Parse("""{"outputs":[{"name":"sum","datatype":"FP32","shape":[1,3],"data":[5,7,9]},{"name":"big","datatype":"FP32","shape":[12],"data":[1,2,3,4,5,6,7,8,9,10,11,12]}]}""");

        var lines = InferCommand.Summary(answer, "canary").ToList();

        Assert.Equal(["sum  FP32  [1,3]: 5, 7, 9", "big  FP32  [12]: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... (2 more)", "(served by the canary variant)"], lines);
    }

    [Theory]
    [InlineData("""{"action":"traffic","before":{"traffic":{"canary":10}},"after":{"traffic":{"canary":50}}}""", "canary 10% -> 50%")]
    [InlineData("""{"action":"create","after":{"stable":{"model":{"uri":"models:/fraud@sha256:aa"}}}}""", "stable models:/fraud@sha256:aa")]
    [InlineData("""{"action":"update","before":{"canary":null},"after":{"canary":{"model":{"uri":"models:/fraud@sha256:bb"}}}}""", "canary models:/fraud@sha256:bb")]
    [InlineData("""{"action":"delete","before":{}}""", "")]
    public void A_history_entry_says_what_it_changed(string entry, string expected) =>
        Assert.Equal(expected, HistoryCommand.Change(JsonNode.Parse(entry)!.AsObject()));

    [Theory]
    [InlineData("a,b,c", "a,b,c,d,e", "d,e")]
    [InlineData("a,b,c", "b,c,d", "d")]
    [InlineData("a,b,c", "a,b,c", "")]
    [InlineData("a,b,c", "x,y", "x,y")]
    [InlineData("", "a", "a")]
    public void Following_a_log_prints_only_the_lines_after_what_was_seen(string previous, string current, string expected)
    {
        static string[] Split(string text) => text.Length == 0 ? [] : text.Split(',');

        Assert.Equal(Split(expected), LogFollower.NewLines(Split(previous), Split(current)));
    }

    [Fact]
    public void Stored_model_versions_may_be_numbers_or_strings()
    {
        Assert.Equal("3", StoredModelView.From(JsonNode.Parse("""{"name":"m","version":3,"size":1,"uri":"u"}""")!).VersionText);
        Assert.Equal("v3", StoredModelView.From(JsonNode.Parse("""{"name":"m","version":"v3","size":1,"uri":"u"}""")!).VersionText);
        Assert.Equal(JsonValueKind.Array, TensorView.ListFrom(JsonNode.Parse("""[{"name":"a","datatype":"FP32","shape":[-1]}]"""))[0].Shape.ValueKind);
    }

    [Fact]
    public void Lines_and_json_print_without_building_a_terminal_console_and_a_table_builds_it()
    {
        using var text = new StringWriter();
        var json = new CliOutput(new CliEnvironment(text, new StringWriter(), _ => null, "/", false), OutputFormat.Json);
        var human = new CliOutput(new CliEnvironment(text, new StringWriter(), _ => null, "/", false), OutputFormat.Human);

        json.Json(new JsonObject { ["ok"] = true });
        json.Write(new Spectre.Console.Text("ignored in JSON output"));
        human.Line("a plain line");

        Assert.False(json.ConsoleCreated);
        Assert.False(human.ConsoleCreated);
        human.Write(new Spectre.Console.Text("a renderable"));
        Assert.True(human.ConsoleCreated);
        Assert.Contains("a renderable", text.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_gateway_is_asked_again_soon_after_a_miss_and_then_less_often_up_to_the_poll_interval()
    {
        var delays = PollDelays.UpTo(TimeSpan.FromMilliseconds(100)).Take(7).Select(delay => delay.TotalMilliseconds);

        Assert.Equal([10, 20, 40, 80, 100, 100, 100], delays);
        Assert.Equal([5, 5], PollDelays.UpTo(TimeSpan.FromMilliseconds(5)).Take(2).Select(delay => delay.TotalMilliseconds));
    }
}
