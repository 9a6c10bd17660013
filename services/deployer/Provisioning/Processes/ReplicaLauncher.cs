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
/// loopback port, with its output appended to its log file. The output goes to the file directly
/// (not through a pipe to the deployer), so a replica outlives a deployer crash and can be adopted.
/// </summary>
internal sealed class ReplicaLauncher(IOptions<DeployerOptions> options)
{
    private static readonly string DotnetHost = FindDotnetHost();

    public string ServerPath { get; } = ResolveServerPath(options.Value.Processes.InferenceServerPath);

    public Process Launch(ReplicaSetSpec replicaSet, int port, string logPath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        // Written by the deployer, not the shell: a log that cannot be written (a full disk) then
        // fails the start with the system's reason instead of a shell's bare exit code.
        File.AppendAllText(logPath, string.Create(CultureInfo.InvariantCulture,
            $"{DateTimeOffset.UtcNow:O} starting replica of {replicaSet.Id} on port {port}{Environment.NewLine}"));
        var start = new ProcessStartInfo("/bin/sh", ["-c", "exec \"$0\" \"$@\" >>\"$REPLICA_LOG\" 2>&1", DotnetHost, ServerPath])
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
        start.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        start.Environment["MODEL_NAME"] = replicaSet.Deployment;
        start.Environment["MODEL_URI"] = variant.Model?.Uri ?? string.Empty;
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

    /// <summary>
    /// Whether <paramref name="pid"/> is a replica this deployer started: it runs the reference
    /// server and writes its log under this deployer's log folder (so another deployer's replica on
    /// the same machine, or a recycled pid, is never adopted).
    /// </summary>
    public bool IsReplicaProcess(int pid, string logFolder) =>
        PosixSignals.CommandLine(pid).Contains(ServerPath, StringComparison.Ordinal) &&
        PosixSignals.EnvironmentVariable(pid, "REPLICA_LOG")?.StartsWith(logFolder + Path.DirectorySeparatorChar, StringComparison.Ordinal) == true;

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
