using ModelPlatform.Deployer.Domain;

namespace ModelPlatform.Deployer.Changes;

/// <summary>What became of a requested change to a deployment. The cases below are all there are.</summary>
internal abstract record ChangeResult
{
    private ChangeResult()
    {
    }

    /// <summary>A workflow now works toward <paramref name="Record"/>: a new revision was stored, or a deletion under way was resumed.</summary>
    public sealed record Started(DeploymentRecord Record) : ChangeResult;

    /// <summary>The deployment already is what was asked for; nothing was stored (a repeated request).</summary>
    public sealed record Unchanged(DeploymentRecord Record) : ChangeResult;

    public sealed record NotFound : ChangeResult;

    /// <summary>The request itself is wrong: errors by field.</summary>
    public sealed record Invalid(Dictionary<string, string[]> Errors) : ChangeResult;

    /// <summary>The request was made against another revision (If-Match); <paramref name="Current"/> is null when the deployment does not exist.</summary>
    public sealed record StaleRevision(long? Current) : ChangeResult;

    /// <summary>The deployment's state does not allow the change now.</summary>
    public sealed record Conflict(string Reason) : ChangeResult;

    /// <summary>A create found <paramref name="Used"/> deployments and the quota allows <paramref name="Limit"/>.</summary>
    public sealed record QuotaExceeded(int Used, int Limit) : ChangeResult;
}
