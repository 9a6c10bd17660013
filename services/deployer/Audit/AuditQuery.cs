namespace ModelPlatform.Deployer.Audit;

/// <summary>Which entries to read, newest first: every filter that is set must hold.</summary>
/// <remarks><paramref name="After"/>: the cursor of the previous page, only entries older than it; <paramref name="Limit"/>: at most this many.</remarks>
internal sealed record AuditQuery(
    string? Deployment = null,
    string? Actor = null,
    string? Action = null,
    DateTimeOffset? Since = null,
    long? After = null,
    int Limit = AuditQuery.DefaultLimit)
{
    public const int DefaultLimit = 50;

    public const int MaxLimit = 500;
}
