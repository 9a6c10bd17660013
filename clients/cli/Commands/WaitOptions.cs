using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace ModelPlatform.Cli.Commands;

/// <summary>The options of commands that wait until their change is applied.</summary>
internal static class WaitOptions
{
    public static Option<int> Timeout(int seconds)
    {
        var option = new Option<int>("--timeout")
        {
            Description = $"Seconds to wait until the change is applied (default {seconds})",
            DefaultValueFactory = _ => seconds,
            HelpName = "seconds",
            CustomParser = result => WholeNumber(result, "--timeout", 1, int.MaxValue),
        };
        return option;
    }

    /// <summary>Seconds between a waiting command's polls of the deployer.</summary>
    public static Option<double> Interval(double seconds) => new("--interval")
    {
        Description = string.Create(CultureInfo.InvariantCulture, $"Seconds between polls of the deployer while waiting (default {seconds})"),
        DefaultValueFactory = _ => seconds,
        HelpName = "seconds",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is >= 0.01 and <= 60)
            {
                return value;
            }

            result.AddError($"--interval must be 0.01 to 60 seconds, not '{text}'.");
            return seconds;
        },
    };

    /// <summary>A whole number within bounds, or a parse error that names the argument and its range.</summary>
    public static int WholeNumber(ArgumentResult result, string name, int min, int max)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        result.AddError(max == int.MaxValue ? $"{name} must be a whole number of at least {min}, not '{text}'." : $"{name} must be {min} to {max}, not '{text}'.");
        return min;
    }

    public static Option<bool> NoWait() => new("--no-wait") { Description = "Return once the deployer accepted the change, without waiting until it is applied" };
}
