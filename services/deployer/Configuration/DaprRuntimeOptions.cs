using System.ComponentModel.DataAnnotations;

namespace ModelPlatform.Deployer.Configuration;

/// <summary>Settings of the Dapr runtime, under <c>Deployer:Dapr</c>.</summary>
public sealed class DaprRuntimeOptions
{
    /// <summary>
    /// The Dapr state store component that keeps deployments and the audit trail (see
    /// <c>components/deployer-state.yaml</c>). Dapr Workflow keeps its own history in the component
    /// marked <c>actorStateStore</c>, which may be another one.
    /// </summary>
    [Required]
    [RegularExpression("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", ErrorMessage = "StateStore must be a Dapr component name (a DNS label).")]
    public string StateStore { get; set; } = "deployer-state";

    /// <summary>
    /// Component types (<c>state.postgresql</c>, ...) whose state transactions are all-or-nothing
    /// with ETags: checked against the sidecar's metadata on start. A change and its audit entry,
    /// and the index of names that guards uniqueness and the quota, are written in one transaction,
    /// so a store that applies half a transaction (Redis: MULTI/EXEC does not roll back a failed
    /// ETag check) could keep a change without its entry.
    /// </summary>
    [MinLength(1, ErrorMessage = "AtomicStoreTypes must name at least one component type.")]
    public List<string> AtomicStoreTypes { get; set; } = ["state.postgresql", "state.sqlite", "state.mysql", "state.sqlserver"];

    /// <summary>How long the start waits for the sidecar to answer before it gives up.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan SidecarWaitTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
