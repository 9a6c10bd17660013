namespace ModelPlatform.Deployer.State;

/// <summary>
/// Which installation of the deployer this is: an id made once and kept in the deployer's own store,
/// so that what it creates elsewhere (Kubernetes objects) can be told apart from another
/// installation's. A store restored empty, or another installation's store, has a different id, so a
/// deployer started on it never takes the objects it finds for its own orphans.
/// </summary>
internal interface IInstallationIdentity
{
    /// <summary>The id kept in the store, made (and kept) on first use: 32 lowercase hex digits.</summary>
    Task<string> GetAsync(CancellationToken cancellationToken);
}
