namespace ModelPlatform.Deployer.Changes;

/// <summary>The revisions a conditional change is made against (HTTP's If-Match); unconditional by default.</summary>
internal sealed class RevisionCondition
{
    private readonly HashSet<long>? _revisions;

    private RevisionCondition(bool requiresExisting, HashSet<long>? revisions)
    {
        RequiresExisting = requiresExisting;
        _revisions = revisions;
    }

    /// <summary>Any revision, and none: the change may also create the deployment.</summary>
    public static RevisionCondition None { get; } = new(false, null);

    /// <summary>Any revision of a deployment that exists (<c>If-Match: *</c>).</summary>
    public static RevisionCondition AnyRevision { get; } = new(true, null);

    /// <summary>The deployment must exist at one of these revisions; an empty list matches none.</summary>
    public static RevisionCondition OneOf(IEnumerable<long> revisions) => new(true, [.. revisions]);

    /// <summary>Whether the deployment must exist: a conditional change never creates one.</summary>
    public bool RequiresExisting { get; }

    public bool Holds(long revision) => _revisions is null || _revisions.Contains(revision);
}
