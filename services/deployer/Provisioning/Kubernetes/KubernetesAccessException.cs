namespace ModelPlatform.Deployer.Provisioning.Kubernetes;

/// <summary>
/// The Kubernetes provisioner cannot read the cluster at start (the API refused the first list, or it
/// did not complete in time): the deployer stops, since reconciling against an empty view would be
/// wrong, and says what is missing.
/// </summary>
internal sealed class KubernetesAccessException : Exception
{
    public KubernetesAccessException()
    {
    }

    public KubernetesAccessException(string message)
        : base(message)
    {
    }

    public KubernetesAccessException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
