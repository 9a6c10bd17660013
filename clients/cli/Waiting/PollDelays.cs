namespace ModelPlatform.Cli.Waiting;

/// <summary>
/// The pauses between tries of something expected any moment: short at first, doubling up to the
/// poll interval. The gateway applies a route within milliseconds of the deployer reporting Ready,
/// so a try that just missed it is repeated soon, not a whole interval later.
/// </summary>
internal static class PollDelays
{
    public static readonly TimeSpan First = TimeSpan.FromMilliseconds(10);

    public static IEnumerable<TimeSpan> UpTo(TimeSpan interval)
    {
        for (var delay = First < interval ? First : interval; ; delay = delay * 2 < interval ? delay * 2 : interval)
        {
            yield return delay;
        }
    }
}
