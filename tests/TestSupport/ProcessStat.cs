using System.Globalization;

namespace ModelPlatform.Testing;

/// <summary>What Linux's <c>/proc/{pid}/stat</c> says of a process: the benches' CPU time and process tree.</summary>
public static class ProcessStat
{
    /// <summary>User plus system CPU seconds of <paramref name="pid"/> so far (clock ticks of 1/100 s).</summary>
    public static double CpuSeconds(int pid)
    {
        var fields = Fields(pid);
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>The process that started <paramref name="pid"/>.</summary>
    public static int ParentOf(int pid) => int.Parse(Fields(pid)[1], CultureInfo.InvariantCulture);

    // The fields after the command name, which may itself hold spaces: [0] is the state, [1] the parent.
    private static string[] Fields(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }
}
