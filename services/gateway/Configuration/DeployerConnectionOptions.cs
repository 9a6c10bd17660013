using System.ComponentModel.DataAnnotations;
using ModelPlatform.Contracts;

namespace ModelPlatform.Gateway.Configuration;

/// <summary>
/// Where the deployer is and how to authenticate to it: <c>Deployer:Url</c>, and <c>Deployer:Token</c>
/// or <c>Deployer:TokenFile</c>. With neither set, the quickstart's token file
/// (<c>.data/deployer/admin-token</c> under the current directory, where a deployer started from the
/// same directory makes it on its first run) is read.
/// </summary>
public sealed class DeployerConnectionOptions : IValidatableObject
{
    public const string Section = "Deployer";

    /// <summary>The quickstart's token file, relative to the current directory, as the deployer's default data directory is.</summary>
    public static readonly string QuickstartTokenFile = Path.Combine(".data", "deployer", AdminTokenFile.FileName);

    /// <summary>The deployer's address. The default is <c>http://127.0.0.1:5100</c>.</summary>
    [Required]
    [Url]
    public string Url { get; set; } = "http://127.0.0.1:5100";

    /// <summary>First delay before reconnecting to a deployer that does not answer; doubles up to <see cref="MaxReconnectDelay"/>. The default is 250 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest delay between reconnects. The default is 10 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longer than the deployer's watch timeout, so a long poll ends on the deployer's side. The default is 60 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan WatchRequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The API token the route table is read with (the reader role is enough).</summary>
    public string? Token { get; set; }

    /// <summary>A file holding that token instead (a mounted Kubernetes Secret, the quickstart's admin-token file).</summary>
    public string? TokenFile { get; set; }

    /// <summary>
    /// How old a token read from <see cref="TokenFile"/> may get before the file is read again, even
    /// when its modification time did not change (a Secret's files are swapped by symlink, which need
    /// not change the time seen through the link). The default is 1 minute.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan TokenFileRefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>True when <see cref="TokenFile"/> is the quickstart's file because neither setting was given.</summary>
    internal bool UsesQuickstartTokenFile { get; private set; }

    /// <summary>Where the token comes from, for messages that tell an operator what to change (never the token).</summary>
    internal string TokenSource =>
        Token is { Length: > 0 } ? "Deployer:Token"
        : UsesQuickstartTokenFile ? $"the quickstart's token file '{Path.GetFullPath(TokenFile!)}' (neither Deployer:Token nor Deployer:TokenFile is set)"
        : $"Deployer:TokenFile '{TokenFile}'";

    /// <summary>Falls back to the quickstart's token file when no token is configured.</summary>
    internal void ApplyDefaults()
    {
        if (string.IsNullOrEmpty(Token) && string.IsNullOrEmpty(TokenFile))
        {
            TokenFile = QuickstartTokenFile;
            UsesQuickstartTokenFile = true;
        }
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(Token) && !string.IsNullOrEmpty(TokenFile))
        {
            yield return new ValidationResult(
                "Set only one of Deployer:Token and Deployer:TokenFile.", [nameof(Token), nameof(TokenFile)]);
        }
        else if (UsesQuickstartTokenFile && !File.Exists(TokenFile))
        {
            yield return new ValidationResult(
                $"The deployer requires an API token, and neither Deployer:Token nor Deployer:TokenFile is set. The quickstart's " +
                $"token file '{Path.GetFullPath(TokenFile!)}' does not exist: start the deployer from this directory first (it makes " +
                "the file on its first run), or set Deployer:TokenFile to a file holding a token, or Deployer:Token.",
                [nameof(Token), nameof(TokenFile)]);
        }
        else if (TokenFile is { Length: > 0 } file && !File.Exists(file))
        {
            yield return new ValidationResult($"Deployer:TokenFile '{file}' does not exist.", [nameof(TokenFile)]);
        }
    }
}
