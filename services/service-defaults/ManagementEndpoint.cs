namespace ModelPlatform.ServiceDefaults;

/// <summary>
/// Endpoint metadata of the probes and the scrape endpoint: what a service keeps to a port of its
/// own, away from its public callers, finds them by it (whatever spelling of a path routed there).
/// </summary>
public sealed class ManagementEndpoint
{
    private ManagementEndpoint()
    {
    }

    public static ManagementEndpoint Instance { get; } = new();
}
