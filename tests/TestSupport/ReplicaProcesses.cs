using System.Text;

namespace ModelPlatform.Testing;

/// <summary>
/// Finds model replica processes by their environment (read from /proc), so tests can count them,
/// kill one, and make sure none is left behind.
/// </summary>
public static class ReplicaProcesses
{
    /// <summary>Pids of processes whose environment has <paramref name="name"/>=<paramref name="value"/>.</summary>
    public static IReadOnlyList<int> WithEnvironment(string name, string value)
    {
        var wanted = Encoding.UTF8.GetBytes($"{name}={value}");
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || !IsAlive(pid))
            {
                continue;
            }

            var environment = EnvironmentOf(pid);
            foreach (var range in environment.AsSpan().Split((byte)0))
            {
                if (environment.AsSpan(range).SequenceEqual(wanted))
                {
                    found.Add(pid);
                    break;
                }
            }
        }

        return found;
    }

    /// <summary>Replicas whose log lives under <paramref name="dataDirectory"/>: the ones one deployer started.</summary>
    public static IReadOnlyList<int> Under(string dataDirectory, string deployment) =>
        [.. WithEnvironment("MODEL_NAME", deployment).Where(pid => EnvironmentValue(pid, "REPLICA_LOG")?.StartsWith(dataDirectory, StringComparison.Ordinal) == true)];

    public static string? EnvironmentValue(int pid, string name)
    {
        var text = Encoding.UTF8.GetString(EnvironmentOf(pid));
        return text.Split('\0').FirstOrDefault(pair => pair.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];
    }

    /// <summary>
    /// The environment block of <paramref name="pid"/>, empty when it cannot be read. A replica is
    /// a shell that execs the server, and a read in the moment the exec has a new address space but
    /// not yet its environment succeeds with nothing; so an empty block of a live user process is
    /// read again, briefly, rather than taken for a process without that variable.
    /// </summary>
    private static byte[] EnvironmentOf(int pid)
    {
        for (var attempt = 0; ; attempt++)
        {
            byte[] environment;
            try
            {
                environment = File.ReadAllBytes($"/proc/{pid}/environ");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another user's process, or one that is gone: not a replica of ours.
                return [];
            }

            // The gap measured here is about a tenth of a millisecond; a process whose environment is
            // really empty (env -i) costs each scan only these few retries.
            if (environment.Length > 0 || attempt == 5 || !IsAlive(pid) || IsKernelThread(pid))
            {
                return environment;
            }

            Thread.Sleep(2);
        }
    }

    // Kernel threads have no environment at all: kthreadd (pid 2) and its children.
    private static bool IsKernelThread(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return pid == 2 || fields[1] == "2";
        }
        catch (IOException)
        {
            return true;
        }
    }

    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static void Kill(int pid)
    {
        try
        {
            System.Diagnostics.Process.GetProcessById(pid).Kill();
        }
        catch (ArgumentException)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }
}
