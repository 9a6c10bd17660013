using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ModelPlatform.Cli.Http;
using ModelPlatform.Cli.Output;
using ModelPlatform.Cli.Views;
using ModelPlatform.Cli.Waiting;
using Spectre.Console;

namespace ModelPlatform.Cli.Commands;

/// <summary>
/// <c>mp deploy ./model.onnx --name fraud</c>: upload the file to the deployer's model store, deploy
/// the stored version (or add it as the canary of a deployment), wait until the gateway serves it,
/// and say how to call it.
/// </summary>
internal static class DeployCommand
{
    /// <summary>
    /// Between polls of the deployer while the revision is applied (--interval): each poll is one
    /// request under the token's rate limit, so a few deploys at once stay well inside it.
    /// </summary>
    public const double DefaultPollSeconds = 0.1;

    public static Command Create(CommandRunner runner)
    {
        var file = new Argument<string>("model") { Description = "The ONNX model file to upload" };
        var name = new Option<string?>("--name", "-n") { Description = "The deployment's name (and the model's in the store). Default: from the file name" };
        var replicas = new Option<int?>("--replicas") { Description = "Replicas of the variant (default 1)" };
        var cpu = new Option<string?>("--cpu") { Description = "CPU per replica, a Kubernetes quantity (500m, 2)" };
        var memory = new Option<string?>("--memory") { Description = "Memory per replica, a Kubernetes quantity (512Mi, 2Gi)" };
        var gpu = new Option<int?>("--gpu") { Description = "GPUs per replica" };
        var env = new Option<string[]>("--env", "-e") { Description = "An environment variable of the replicas, KEY=VALUE (repeat for more)", HelpName = "KEY=VALUE" };
        env.Validators.Add(result =>
        {
            foreach (var pair in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (pair.IndexOf('=', StringComparison.Ordinal) <= 0)
                {
                    result.AddError($"--env takes KEY=VALUE; '{pair}' has no key and '='.");
                }
            }
        });
        var canary = new Option<bool>("--canary") { Description = "Add the model as the canary of an existing deployment (it starts with no traffic)" };
        var rollout = new Option<bool>("--rollout") { Description = "Ask the deployer to roll the change out progressively (sends \"rollout\": {})" };
        var timeout = WaitOptions.Timeout(300);
        var interval = WaitOptions.Interval(DefaultPollSeconds);

        var command = new Command("deploy", "Upload a model file, deploy it, wait until it serves, and print its URL and a sample request")
        {
            file, name, replicas, cpu, memory, gpu, env, canary, rollout, timeout, interval,
        };
        runner.SetAction(command, async (parse, session, cancellationToken) =>
        {
            var model = new FileInfo(Path.GetFullPath(parse.GetValue(file)!, session.CurrentDirectory));
            if (!model.Exists)
            {
                throw CliFailure.Usage($"There is no file at {model.FullName}.");
            }

            var options = new DeployOptions(
                parse.GetValue(name) ?? DeploymentNames.FromFileName(model.Name),
                parse.GetValue(replicas), parse.GetValue(cpu), parse.GetValue(memory), parse.GetValue(gpu),
                parse.GetValue(env) ?? [], parse.GetValue(canary), parse.GetValue(rollout),
                TimeSpan.FromSeconds(parse.GetValue(timeout)), TimeSpan.FromSeconds(parse.GetValue(interval)));
            return await RunAsync(session, model, options, cancellationToken);
        });
        return command;
    }

    private sealed record DeployOptions(
        string Name, int? Replicas, string? Cpu, string? Memory, int? Gpu, string[] Env, bool Canary, bool Rollout, TimeSpan Timeout, TimeSpan PollInterval)
    {
        public string Variant => Canary ? "canary" : "stable";
    }

    private static async Task<int> RunAsync(Session session, FileInfo file, DeployOptions options, CancellationToken cancellationToken)
    {
        var output = session.Output;
        var clock = Stopwatch.StartNew();

        output.Line($"Uploading {file.Name} ({Sizes.Bytes(file.Length)}) to {session.Deployer.Address}");
        var (stored, created) = await UploadAsync(session, file, options.Name, cancellationToken);
        var model = StoredModelView.From(stored);
        var uploaded = clock.Elapsed;
        output.Line(created
            ? $"Stored {model.Name} version {model.VersionText} ({model.Digest}) in {Sizes.Seconds(uploaded)}"
            : $"{model.Name} version {model.VersionText} ({model.Digest}) was already stored: the same file, kept once ({Sizes.Seconds(uploaded)})");

        var request = await RequestAsync(session, options, model.Uri, cancellationToken);
        output.Line(options.Canary
            ? $"Adding {model.Uri} as the canary of {options.Name} (no traffic until you move some)"
            : $"Deploying {model.Uri} as {options.Name}");
        var accepted = options.Canary
            ? await session.Deployer.ReplaceAsync(options.Name, request.Body, request.ETag, cancellationToken)
            : await CreateAsync(session, options.Name, request.Body, cancellationToken);
        var revision = DeploymentView.From(accepted).Status.Revision;

        var ready = await new DeploymentWaiter(session.Deployer, options.PollInterval).WaitForRevisionAsync(
            options.Name, revision, options.Timeout, view => output.Line(PhaseLine.Format(view, clock.Elapsed)), cancellationToken);
        var applied = clock.Elapsed;

        var gateway = await session.GatewayAsync(options.Name, ready, cancellationToken);
        await WaitUntilServedAsync(gateway, options, clock, cancellationToken);
        var routed = clock.Elapsed;
        output.Line(string.Create(CultureInfo.InvariantCulture, $"  {routed.TotalSeconds,6:0.00} s  Served by the gateway at {gateway.Address}"));

        var served = new ServedModel(options.Name, options.Canary ? "canary" : null, gateway.Address, model);
        var sample = served.WriteSample(session.CurrentDirectory);
        if (output.IsJson)
        {
            output.Json(new JsonObject
            {
                ["model"] = stored.DeepClone(),
                ["deployment"] = ready.DeepClone(),
                ["url"] = served.ModelUrl,
                ["curl"] = sample.Curl,
                ["sampleRequest"] = sample.Body is null ? null : JsonNode.Parse(sample.Body),
                ["sampleRequestFile"] = sample.File,
                ["seconds"] = new JsonObject
                {
                    ["upload"] = Math.Round(uploaded.TotalSeconds, 3),
                    ["ready"] = Math.Round(applied.TotalSeconds, 3),
                    ["served"] = Math.Round(routed.TotalSeconds, 3),
                },
            });
            return ExitCodes.Success;
        }

        output.Line();
        output.Line($"{options.Name} is served{(options.Canary ? " (canary)" : string.Empty)} after {Sizes.Seconds(routed)}: {served.ModelUrl}");
        served.PrintSignature(output);
        output.Line();
        output.Line(sample.File is null ? "Try it:" : $"Try it (a sample body of {SampleRequest.ValueCount(model.Inputs ?? []):N0} values is in {sample.File}):");
        output.Line("  " + sample.Curl);
        if (options.Canary)
        {
            output.Line();
            output.Line($"The canary has no traffic yet: `mp traffic {options.Name} 10` sends it 10%, `mp promote {options.Name}` makes it stable, `mp rollback {options.Name}` removes it.");
        }

        return ExitCodes.Success;
    }

    private static async Task<(JsonObject Version, bool Created)> UploadAsync(Session session, FileInfo file, string name, CancellationToken cancellationToken)
    {
        if (!session.Output.Interactive)
        {
            return await session.Deployer.UploadAsync(name, file, new Progress<long>(), cancellationToken);
        }

        (JsonObject Version, bool Created) stored = default;
        await session.Output.Console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("Uploading", maxValue: file.Length);
                stored = await session.Deployer.UploadAsync(name, file, new InlineProgress(sent => task.Value = sent), cancellationToken);
                task.Value = file.Length;
            });
        return stored;
    }

    /// <summary>The body to send: a new deployment, or the current one with this model as its canary (and its ETag, for If-Match).</summary>
    private static async Task<(JsonObject Body, string? ETag)> RequestAsync(Session session, DeployOptions options, string modelUri, CancellationToken cancellationToken)
    {
        var variant = new JsonObject { ["model"] = new JsonObject { ["format"] = "onnx", ["uri"] = modelUri } };
        if (options.Replicas is { } replicas)
        {
            variant["replicas"] = replicas;
        }

        if (options.Cpu is not null || options.Memory is not null || options.Gpu is not null)
        {
            variant["resources"] = new JsonObject { ["cpu"] = options.Cpu, ["memory"] = options.Memory, ["gpu"] = options.Gpu ?? 0 };
        }

        if (options.Env.Length > 0)
        {
            var env = new JsonObject();
            foreach (var pair in options.Env)
            {
                var at = pair.IndexOf('=', StringComparison.Ordinal);
                env[pair[..at]] = pair[(at + 1)..];
            }

            variant["env"] = env;
        }

        JsonObject body;
        string? etag = null;
        if (options.Canary)
        {
            (var current, etag) = await session.Deployer.GetAsync(options.Name, cancellationToken);
            body = CanaryRequest(current, variant);
        }
        else
        {
            body = new JsonObject { ["name"] = options.Name, ["stable"] = variant };
        }

        if (options.Rollout)
        {
            body["rollout"] = new JsonObject();
        }

        return (body, etag);
    }

    /// <summary>
    /// The deployment as it is, as a request (its status left out, its traffic as the request's
    /// <c>{"canary": n}</c>), with <paramref name="canary"/> as its canary at 0% traffic: whatever else
    /// the deployment has (access keys, limits, fields this CLI does not know) is sent back unchanged.
    /// </summary>
    internal static JsonObject CanaryRequest(JsonObject current, JsonObject canary)
    {
        ArgumentNullException.ThrowIfNull(current);
        var body = (JsonObject)current.DeepClone();
        body.Remove("status");
        body["canary"] = canary.DeepClone();
        body["traffic"] = new JsonObject { ["canary"] = 0 };
        return body;
    }

    private static async Task<JsonObject> CreateAsync(Session session, string name, JsonObject body, CancellationToken cancellationToken)
    {
        try
        {
            return await session.Deployer.CreateAsync(body, cancellationToken);
        }
        catch (CliFailure failure) when (failure.Status == 409)
        {
            throw new CliFailure(failure.ExitCode, failure.Title, failure.Detail,
                $"A deployment named '{name}' exists with another model. `mp deploy {{file}} --name {name} --canary` adds this one beside it as a canary; " +
                $"`mp delete {name}` removes the old one; --name picks another name.")
            { Status = failure.Status, Problem = failure.Problem, FieldErrors = failure.FieldErrors };
        }
    }

    private static async Task WaitUntilServedAsync(GatewayClient gateway, DeployOptions options, Stopwatch clock, CancellationToken cancellationToken)
    {
        var deadline = clock.Elapsed + options.Timeout;
        using var delays = PollDelays.UpTo(options.PollInterval).GetEnumerator();
        while (!await gateway.ServesAsync(options.Name, options.Canary ? "canary" : null, cancellationToken))
        {
            if (clock.Elapsed > deadline)
            {
                throw new CliFailure(ExitCodes.TimedOut, $"The gateway at {gateway.Address} did not serve '{options.Name}' within {options.Timeout.TotalSeconds:0} s",
                    "The deployer reports it ready; the gateway has not routed it yet.",
                    $"Is --gateway the gateway that follows this deployer? `curl {gateway.Address}readyz` shows the route table version it has.");
            }

            delays.MoveNext();
            await Task.Delay(delays.Current, cancellationToken);
        }
    }

    /// <summary>Reports on the thread that reports, at once (Progress&lt;T&gt; posts to a context a console app does not have).</summary>
    private sealed class InlineProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
