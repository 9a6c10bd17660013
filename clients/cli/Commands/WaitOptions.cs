using System.CommandLine;

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
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--timeout must be at least 1 second.");
            }
        });
        return option;
    }

    public static Option<bool> NoWait() => new("--no-wait") { Description = "Return once the deployer accepted the change, without waiting until it is applied" };
}
