namespace ModelPlatform.Cli;

/// <summary>
/// What the process's exit code says failed, so a script can tell a typo from a refused model from
/// a deployment that never got ready. The table is in docs/cli.md; keep the two in step.
/// </summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Anything not below: a server error (5xx), an answer the CLI could not read.</summary>
    public const int Unexpected = 1;

    /// <summary>The command line itself: an unknown option, a missing argument, a file that is not there.</summary>
    public const int Usage = 2;

    /// <summary>The deployer or the gateway could not be reached (refused, timed out, no such host).</summary>
    public const int Unreachable = 3;

    /// <summary>401 or 403: no token, a token the deployer does not know, or a role that may not do this.</summary>
    public const int Unauthorized = 4;

    /// <summary>The request was refused as it stands: 400 (validation), 409, 412, 413, 429, or the deployment quota.</summary>
    public const int Rejected = 5;

    /// <summary>The deployer accepted the change, but applying it failed (phase Failed).</summary>
    public const int DeploymentFailed = 6;

    /// <summary>The change was still not applied, or the gateway still not serving it, when --timeout ran out.</summary>
    public const int TimedOut = 7;

    /// <summary>404: no deployment, model or log by that name.</summary>
    public const int NotFound = 8;

    /// <summary>Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;
}
