using System.Globalization;
using System.Text.RegularExpressions;

namespace ModelPlatform.Deployer.Telemetry;

/// <summary>A window as callers write it: whole seconds, minutes or hours (<c>30s</c>, <c>5m</c>, <c>1h</c>), as Prometheus does.</summary>
internal static partial class TelemetryWindow
{
    public const string Default = "1m";

    public static bool TryParse(string? text, out TimeSpan window)
    {
        window = default;
        var match = Duration().Match(text ?? string.Empty);
        if (!match.Success)
        {
            return false;
        }

        var amount = long.Parse(match.Groups["amount"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture);
        window = match.Groups["unit"].Value switch
        {
            "s" => TimeSpan.FromSeconds(amount),
            "m" => TimeSpan.FromMinutes(amount),
            _ => TimeSpan.FromHours(amount),
        };
        return true;
    }

    /// <summary>The window in PromQL's range syntax.</summary>
    public static string ToPromQl(TimeSpan window) => ((long)window.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";

    /// <summary>A duration for messages: 30s, 5m, 1h.</summary>
    public static string Describe(TimeSpan window) =>
        window.Ticks % TimeSpan.TicksPerHour == 0 ? $"{window.TotalHours:0}h"
        : window.Ticks % TimeSpan.TicksPerMinute == 0 ? $"{window.TotalMinutes:0}m"
        : $"{window.TotalSeconds:0}s";

    [GeneratedRegex("^(?<amount>[0-9]{1,6})(?<unit>[smh])$", RegexOptions.CultureInvariant)]
    private static partial Regex Duration();
}
