namespace ModelPlatform.Deployer.Provisioning.Processes;

/// <summary>
/// Environment variables that change what code a host process loads: the dynamic linker's, the .NET
/// host's and runtime's, ASP.NET Core's hosting startup, OpenSSL's and CUDA's injection hooks. On the
/// embedded runtime a replica runs as the deployer's own OS user (which can read the deployer's
/// admin token), so a deployment's <c>env</c> must not set them; in a container they are harmless.
/// </summary>
/// <remarks>
/// Prefixes compare without case: the dynamic linker reads exact names, but .NET configuration reads
/// <c>DOTNET_</c> and <c>ASPNETCORE_</c> settings whatever their case, and refusing a lower-case
/// <c>ld_</c> loses nothing.
/// </remarks>
internal static class LoaderVariables
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
    };

    /// <summary>Why <paramref name="name"/> may not be set on a host process, or null when it may.</summary>
    public static string? WhyRefused(string name)
    {
        foreach (var (prefix, reason) in Prefixes)
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return reason;
            }
        }

        // ASPNETCORE_HOSTINGSTARTUPASSEMBLIES, and the same setting through plain configuration.
        if (name.Contains("HOSTINGSTARTUP", StringComparison.OrdinalIgnoreCase))
        {
            return "makes ASP.NET Core load hosting startup assemblies";
        }

        return Names.GetValueOrDefault(name);
    }
}
