using System.Globalization;

namespace ModelPlatform.Deployer.Provisioning.Processes;

/// <summary>
/// What tells one process from another that later gets the same pid: its start time (field 22 of
/// <c>/proc/&lt;pid&gt;/stat</c>, clock ticks since boot, which no two processes holding one pid in
/// turn share) and its command line (arguments joined by spaces).
/// </summary>
internal sealed record ProcessIdentity(long StartTime, string CommandLine)
{
    /// <summary>starttime is the 22nd field; the fields after the command name, which may hold spaces and ')', start at the 3rd.</summary>
    private const int StartTimeAfterName = 22 - 3;

    /// <summary>The start time of <paramref name="pid"/>, or null if no such process can be read.</summary>
    public static long? StartTimeOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > StartTimeAfterName && long.TryParse(fields[StartTimeAfterName], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                ? ticks
                : null;
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

    /// <summary>The identity <paramref name="pid"/> has now, or null if it is gone.</summary>
    public static ProcessIdentity? Of(int pid) =>
        StartTimeOf(pid) is { } start ? new ProcessIdentity(start, PosixSignals.CommandLine(pid)) : null;
}
