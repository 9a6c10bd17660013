using System.Runtime.InteropServices;

namespace ModelPlatform.Deployer.Provisioning.Processes;

/// <summary>
/// SIGTERM for graceful stops (Process.Kill sends SIGKILL), and liveness checks for replicas this
/// deployer adopted after a restart and so cannot wait on as children. A signal goes only to the
/// process that is still the one meant: its pid may have been reused by any process of this user.
/// </summary>
internal static partial class PosixSignals
{
    private const int SigTerm = 15;
    private const int SigKill = 9;
    private const int ENOSYS = 38;

    // The same numbers on x86-64 and arm64 (and every architecture since Linux 5.3).
    private const long SysPidfdSendSignal = 424;
    private const long SysPidfdOpen = 434;

    public static bool Terminate(int pid, Func<int, bool> isSameProcess) => Send(pid, SigTerm, isSameProcess);

    public static bool ForceKill(int pid, Func<int, bool> isSameProcess) => Send(pid, SigKill, isSameProcess);

    /// <summary>
    /// Signals <paramref name="pid"/> if <paramref name="isSameProcess"/> still holds for it. The check
    /// runs after a pidfd is opened on the pid, and the signal goes through that pidfd: if the pid was
    /// reused before the pidfd was opened, the check sees the stranger; if after, the signal reaches no
    /// one. Either way it never reaches the wrong process.
    /// </summary>
    private static bool Send(int pid, int signal, Func<int, bool> isSameProcess)
    {
        if (pid <= 0)
        {
            return false;
        }

        var fd = Syscall(SysPidfdOpen, pid, 0, 0, 0);
        if (fd < 0)
        {
            // Kernels before 5.3 have no pidfd: check, then signal, with a window of microseconds between.
            return Marshal.GetLastPInvokeError() == ENOSYS && isSameProcess(pid) && Kill(pid, signal) == 0;
        }

        try
        {
            return isSameProcess(pid) && Syscall(SysPidfdSendSignal, fd, signal, 0, 0) == 0;
        }
        finally
        {
            _ = Close((int)fd);
        }
    }

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
            return File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0').Replace('\0', ' ');
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
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

    // syscall(2) is variadic in C; its arguments are read as longs, so every one is passed as one.
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long arg1, long arg2, long arg3, long arg4);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
