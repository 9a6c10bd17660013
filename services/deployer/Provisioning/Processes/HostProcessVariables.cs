namespace ModelPlatform.Deployer.Provisioning.Processes;

/// <summary>
/// Environment variables a deployment's <c>env</c> may not set on a host process. Those that change
/// what code it loads (the dynamic linker's, the .NET host's and runtime's, ASP.NET Core's hosting
/// startup, OpenSSL's and CUDA's injection hooks): on the embedded runtime a replica runs as the
/// deployer's own OS user, which can read the deployer's admin token. And those that change where it
/// listens: a replica on the embedded runtime serves on loopback only, behind the gateway's keys and
/// limits, which is what a network policy is on a cluster. In a container both are harmless.
/// </summary>
/// <remarks>
/// Prefixes compare without case: the dynamic linker reads exact names, but .NET configuration reads
/// <c>DOTNET_</c> and <c>ASPNETCORE_</c> settings whatever their case, and refusing a lower-case
/// <c>ld_</c> loses nothing.
/// </remarks>
internal static class HostProcessVariables
{
    private static readonly (string Prefix, string Reason)[] Prefixes =
    [
        ("LD_", "is read by the dynamic linker (LD_PRELOAD, LD_LIBRARY_PATH and LD_AUDIT load libraries into the process)"),
        ("DOTNET_", "configures the .NET host and runtime (startup hooks, additional deps, profilers, diagnostic ports)"),
        ("COMPlus_", "configures the .NET runtime (the older prefix of DOTNET_: profilers, diagnostics)"),
        ("CORECLR_", "enables and loads a CLR profiler"),
        ("OPENSSL_", "configures OpenSSL, whose configuration file can load engines and providers"),
    ];

    private static readonly Dictionary<string, string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["PATH"] = "decides which programs the replica's start runs",
        ["GCONV_PATH"] = "makes glibc load character-set converters from another folder",
        ["GLIBC_TUNABLES"] = "changes how glibc's loader and allocator behave",
        ["CUDA_INJECTION64_PATH"] = "makes CUDA load an injection library",
        ["NVTX_INJECTION64_PATH"] = "makes NVTX load an injection library",
        ["URLS"] = Listens,
        ["HTTP_PORTS"] = Listens,
        ["HTTPS_PORTS"] = Listens,
        ["Inference__BindAddress"] = Listens,
        ["Inference__Port"] = Listens,
        ["Inference__GrpcPort"] = Listens,
    };

    private const string Listens = "changes the address a replica listens on (replicas on this runtime serve on loopback only, behind the gateway)";

    /// <summary>Why <paramref name="name"/> may not be set on a host process, or null when it may.</summary>
    public static string? WhyRefused(string name)
    {
        // ASP.NET Core reads ASPNETCORE_X as the setting X: ASPNETCORE_Kestrel__Endpoints__A__Url is
        // Kestrel__Endpoints__A__Url, and ASPNETCORE_Inference__BindAddress the replica's own address.
        const string AspNetCore = "ASPNETCORE_";
        if (name.StartsWith(AspNetCore, StringComparison.OrdinalIgnoreCase) && name.Length > AspNetCore.Length &&
            WhyRefused(name[AspNetCore.Length..]) is { } setting)
        {
            return setting;
        }

        foreach (var (prefix, reason) in Prefixes)
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return reason;
            }
        }

        // Kestrel's own endpoints bind beside the replica's loopback one.
        if (name.StartsWith("Kestrel__", StringComparison.OrdinalIgnoreCase))
        {
            return Listens;
        }

        // ASPNETCORE_HOSTINGSTARTUPASSEMBLIES, and the same setting through plain configuration.
        if (name.Contains("HOSTINGSTARTUP", StringComparison.OrdinalIgnoreCase))
        {
            return "makes ASP.NET Core load hosting startup assemblies";
        }

        return Names.GetValueOrDefault(name);
    }
}
