using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using k8s.Models;
using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.Provisioning.Processes;

/// <summary>
/// Starts one replica of a model variant: the reference server as a child process on a free
/// loopback port (and a second one for gRPC, <c>GRPC_PORT</c>), with its output appended to its log file. The output goes to the file directly
/// (not through a pipe to the deployer), so a replica outlives a deployer crash and can be adopted.
/// </summary>
internal sealed class ReplicaLauncher(IOptions<DeployerOptions> options)
{
    /// <summary>Where a replica writes why it is exiting (the reference server does; see docs/inference-contract.md).</summary>
    public const string TerminationMessageVariable = "TERMINATION_MESSAGE_PATH";

    /// <summary>The contract's port for the Open Inference Protocol over gRPC (HTTP/2 only).</summary>
    public const string GrpcPortVariable = "GRPC_PORT";

    private const string Script = "exec \"$0\" \"$@\" >>\"$REPLICA_LOG\" 2>&1";
    private const string ConsoleColors = "Logging__Console__FormatterOptions__ColorBehavior";

    private static readonly string DotnetHost = FindDotnetHost();

    public string ServerPath { get; } = ResolveServerPath(options.Value.Processes.InferenceServerPath);

    /// <summary>The command line of a replica once its shell has exec'ed the server (a pid keeps its start time across exec).</summary>
    private string ServerCommandLine => $"{DotnetHost} {ServerPath}";

    /// <summary>The command line of a replica in the moment before its shell execs the server.</summary>
    private string ShellCommandLine => $"/bin/sh -c {Script} {ServerCommandLine}";

    /// <summary>The file a replica logging to <paramref name="logPath"/> writes its fatal reason to.</summary>
    public static string TerminationMessagePath(string logPath) => Path.ChangeExtension(logPath, ".exit");

    public Process Launch(ReplicaSetSpec replicaSet, int port, int grpcPort, string logPath)
    {
        // Validation refuses these; a deployment stored before it did must not get them through.
        if (replicaSet.Spec.Env?.Keys.FirstOrDefault(key => HostProcessVariables.WhyRefused(key) is not null) is { } refused)
        {
            throw new InvalidOperationException($"env {refused} is refused on the embedded runtime: it {HostProcessVariables.WhyRefused(refused)}.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        // Written by the deployer, not the shell: a log that cannot be written (a full disk) then
        // fails the start with the system's reason instead of a shell's bare exit code.
        File.AppendAllText(logPath, string.Create(CultureInfo.InvariantCulture,
            $"{DateTimeOffset.UtcNow:O} starting replica of {replicaSet.Id} on port {port} (gRPC {grpcPort}){Environment.NewLine}"));
        var terminationMessage = TerminationMessagePath(logPath);
        File.Delete(terminationMessage);
        var start = new ProcessStartInfo("/bin/sh", ["-c", Script, DotnetHost, ServerPath])
        {
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(ServerPath)!,
        };

        // A replica gets the contract's variables and the user's, not the deployer's own settings;
        // only what the runtime and telemetry need passes through.
        var inherited = start.Environment.Where(pair => PassedThrough(pair.Key)).ToList();
        start.Environment.Clear();
        foreach (var (key, value) in inherited)
        {
            start.Environment[key] = value;
        }

        var variant = replicaSet.Spec;
        foreach (var (key, value) in variant.Env ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        start.Environment["REPLICA_LOG"] = logPath;
        start.Environment[TerminationMessageVariable] = terminationMessage;
        // The log is read by people and shown in status; colour codes are noise in both.
        start.Environment[ConsoleColors] = "Disabled";
        start.Environment["NO_COLOR"] = "1";
        start.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        start.Environment[GrpcPortVariable] = grpcPort.ToString(CultureInfo.InvariantCulture);
        start.Environment["MODEL_NAME"] = replicaSet.Deployment;
        start.Environment["MODEL_URI"] = Models.Files.ModelFiles.LocalModelUri(options.Value, variant.Model?.Uri);
        start.Environment["Inference__BindAddress"] = "127.0.0.1";
        // The user's env may choose the provider and threads; the address is not theirs to choose.
        start.Environment.TryAdd("Inference__ExecutionProvider", variant.Resources?.Gpu > 0 ? "Cuda" : "Cpu");
        // The dashboard files telemetry by service name and instance: each replica under its deployment and variant.
        start.Environment["OTEL_SERVICE_NAME"] = $"{replicaSet.Deployment}-{replicaSet.Variant}";
        start.Environment["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={replicaSet.Deployment}-{replicaSet.Variant}-{Path.GetFileNameWithoutExtension(logPath)}," +
            $"service.namespace={replicaSet.Deployment},modelplatform.deployment={replicaSet.Deployment},modelplatform.variant={replicaSet.Variant}";
        if (IntraOpThreads(variant.Resources?.Cpu) is { } threads)
        {
            start.Environment.TryAdd("Inference__IntraOpThreads", threads.ToString(CultureInfo.InvariantCulture));
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {ServerPath}.");
    }

    /// <summary>The identity of a replica just launched as <paramref name="pid"/>, or null if it is already gone.</summary>
    public ProcessIdentity? IdentityOf(int pid) =>
        ProcessIdentity.StartTimeOf(pid) is { } start ? new ProcessIdentity(start, ServerCommandLine) : null;

    /// <summary>Whether <paramref name="pid"/> is still the process <paramref name="identity"/> describes, and not one that reused its pid.</summary>
    public bool IsSameProcess(int pid, ProcessIdentity identity) =>
        ProcessIdentity.StartTimeOf(pid) == identity.StartTime &&
        PosixSignals.CommandLine(pid) is var line && (line == identity.CommandLine || line == ShellCommandLine);

    /// <summary>Pids of replicas started with their log under <paramref name="logFolder"/>, registered or not.</summary>
    public IEnumerable<int> FindReplicaProcesses(string logFolder)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) &&
                pid != Environment.ProcessId && PosixSignals.IsAlive(pid) && IsReplicaProcess(pid, logFolder))
            {
                yield return pid;
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="pid"/> is a replica this deployer started: it runs the reference
    /// server and writes its log under this deployer's log folder (so another deployer's replica on
    /// the same machine, or a recycled pid, is never adopted).
    /// </summary>
    public bool IsReplicaProcess(int pid, string logFolder) =>
        PosixSignals.CommandLine(pid).Contains(ServerPath, StringComparison.Ordinal) &&
        PosixSignals.EnvironmentVariable(pid, "REPLICA_LOG")?.StartsWith(logFolder + Path.DirectorySeparatorChar, StringComparison.Ordinal) == true;

    /// <summary>The gRPC port a running replica was given, or null (a replica started before replicas had one).</summary>
    public static int? GrpcPortOf(int pid) =>
        int.TryParse(PosixSignals.EnvironmentVariable(pid, GrpcPortVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0
            ? port
            : null;

    private static bool PassedThrough(string variable) =>
        variable is "PATH" or "HOME" or "TMPDIR" or "LANG" or "LC_ALL" or "USER" ||
        variable.StartsWith("DOTNET_", StringComparison.Ordinal) ||
        variable.StartsWith("OTEL_EXPORTER_", StringComparison.Ordinal) ||
        variable.StartsWith("OTEL_BLRP_", StringComparison.Ordinal) ||
        variable.StartsWith("OTEL_BSP_", StringComparison.Ordinal) ||
        variable.StartsWith("OTEL_METRIC_", StringComparison.Ordinal);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // A CPU request caps ONNX Runtime's threads: "500m" and "1" give one thread, "2500m" three.
    private static int? IntraOpThreads(string? cpu) =>
        string.IsNullOrEmpty(cpu) ? null : Math.Max(1, (int)Math.Ceiling((double)new ResourceQuantity(cpu).ToDecimal()));

    private static string ResolveServerPath(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }

        var built = typeof(ReplicaLauncher).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(attribute => attribute.Key == "SampleInferencePath").Value!;
        var beside = Path.Combine(AppContext.BaseDirectory, "sample-inference", "ModelPlatform.SampleInference.dll");
        return File.Exists(beside) ? beside : built;
    }

    private static string FindDotnetHost()
    {
        // The runtime lives in <root>/shared/Microsoft.NETCore.App/<version>/; the host is <root>/dotnet.
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var host = Path.Combine(root, "dotnet");
        return File.Exists(host) ? host : "dotnet";
    }
}
