namespace ModelPlatform.Contracts;

/// <summary>
/// One accepted change of a deployment's desired state: who made it, when, what the desired state
/// was before and after, the revision it made, and how the workflow that applied it ended.
/// </summary>
/// <param name="Id">Unique and growing: newer entries have larger ids.</param>
/// <param name="Deployment">The deployment's name.</param>
/// <param name="Action">One of <see cref="AuditActions"/>.</param>
/// <param name="Actor">The caller's authenticated name, or <c>anonymous</c>.</param>
/// <param name="Time">When the change was accepted.</param>
/// <param name="Revision">The revision the change made (the deployment's ETag after it).</param>
/// <param name="Before">The desired state before; absent for a create.</param>
/// <param name="After">The desired state after; absent for a delete.</param>
/// <param name="Outcome">How the workflow that applied the revision ended.</param>
public sealed record AuditEntry(
    long Id,
    string Deployment,
    string Action,
    string Actor,
    DateTimeOffset Time,
    long Revision,
    DeploymentRequest? Before,
    DeploymentRequest? After,
    AuditOutcome Outcome);

/// <summary>How applying a change ended; <see cref="Time"/> and <see cref="Reason"/> once it has.</summary>
/// <param name="Status">One of <see cref="AuditOutcomes"/>.</param>
/// <param name="Reason">Why it failed, or which revision superseded it.</param>
/// <param name="Time">When it ended.</param>
public sealed record AuditOutcome(string Status, string? Reason = null, DateTimeOffset? Time = null);

/// <summary>A page of audit entries, newest first; <see cref="Next"/> is the <c>after</c> cursor of the next page, absent on the last.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, string? Next);

/// <summary>The changes the audit trail records.</summary>
public static class AuditActions
{
    public const string Create = "create";
    public const string Update = "update";
    public const string Delete = "delete";
    public const string Traffic = "traffic";
    public const string Promote = "promote";
    public const string Rollback = "rollback";

    /// <summary>A rollout started, judged a step, moved, paused, resumed or ended (the reason holds the measured values and limits).</summary>
    public const string Rollout = "rollout";

    public static IReadOnlyList<string> All { get; } = [Create, Update, Delete, Traffic, Promote, Rollback, Rollout];
}

/// <summary>The states of an audit entry's outcome.</summary>
public static class AuditOutcomes
{
    /// <summary>The workflow applying the revision has not ended yet.</summary>
    public const string Pending = "Pending";

    public const string Succeeded = "Succeeded";

    public const string Failed = "Failed";

    /// <summary>A newer revision replaced this one before its workflow finished.</summary>
    public const string Superseded = "Superseded";
}
