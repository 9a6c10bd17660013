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

            try
            {
                var environment = File.ReadAllBytes(Path.Combine(directory, "environ"));
                foreach (var range in environment.AsSpan().Split((byte)0))
                {
                    if (environment.AsSpan(range).SequenceEqual(wanted))
                    {
                        found.Add(pid);
                        break;
                    }
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    /// <summary>Replicas whose log lives under <paramref name="dataDirectory"/>: the ones one deployer started.</summary>
    public static IReadOnlyList<int> Under(string dataDirectory, string deployment) =>
        [.. WithEnvironment("MODEL_NAME", deployment).Where(pid => EnvironmentValue(pid, "REPLICA_LOG")?.StartsWith(dataDirectory, StringComparison.Ordinal) == true)];

    public static string? EnvironmentValue(int pid, string name)
    {
        try
        {
            var text = Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{pid}/environ"));
            return text.Split('\0').FirstOrDefault(pair => pair.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];
        }
        catch (IOException)
        {
            return null;
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
