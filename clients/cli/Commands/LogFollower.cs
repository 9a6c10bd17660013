namespace ModelPlatform.Cli.Commands;

/// <summary>
/// What is new in a log's tail since the last read. The deployer serves the last N lines, not an
/// offset, so the new lines are those after the longest run at the end of the previous read that the
/// new read starts with. A run of identical lines can hide lines this way; a log that grew by more
/// than N lines between reads loses the ones in between.
/// </summary>
internal static class LogFollower
{
    public static IReadOnlyList<string> NewLines(IReadOnlyList<string> previous, IReadOnlyList<string> current)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(current);
        for (var overlap = Math.Min(previous.Count, current.Count); overlap > 0; overlap--)
        {
            if (Matches(previous, previous.Count - overlap, current, overlap))
            {
                return [.. current.Skip(overlap)];
            }
        }

        return current;
    }

    public static IReadOnlyList<string> Lines(string text) =>
        text.Length == 0 ? [] : text.TrimEnd('\n').Split('\n').Select(line => line.TrimEnd('\r')).ToArray();

    private static bool Matches(IReadOnlyList<string> previous, int start, IReadOnlyList<string> current, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (!string.Equals(previous[start + i], current[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
