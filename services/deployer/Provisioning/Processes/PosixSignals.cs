using System.Runtime.InteropServices;

namespace ModelPlatform.Deployer.Provisioning.Processes;

/// <summary>
/// SIGTERM for graceful stops (Process.Kill sends SIGKILL), and liveness checks for replicas this
/// deployer adopted after a restart and so cannot wait on as children.
/// </summary>
internal static partial class PosixSignals
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    public static bool Terminate(int pid) => Kill(pid, SigTerm) == 0;

    public static bool ForceKill(int pid) => Kill(pid, SigKill) == 0;

    /// <summary>Whether the process exists and is not a zombie waiting to be reaped.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault();
            return state is not ('Z' or 'X' or default(char));
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The process's command line, arguments separated by spaces; empty if it is gone.</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>A variable of the process's environment as it started, or null.</summary>
    public static string? EnvironmentVariable(int pid, string name)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/environ").Split('\0')
                .FirstOrDefault(pair => pair.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
