using System.Runtime.InteropServices;

namespace ModelPlatform.Testing;

/// <summary>POSIX signals, which <see cref="System.Diagnostics.Process"/> cannot send (its Kill is SIGKILL).</summary>
public static partial class Signals
{
    private const int SigTerm = 15;

    public static void Terminate(int processId)
    {
        if (Kill(processId, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill({processId}, SIGTERM) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
