namespace ModelPlatform.Deployer.Provisioning;

/// <summary>
/// The system under a provisioner was briefly unable to act (the Kubernetes API answered 429 or 5xx,
/// did not answer in time, or could not be reached): worth trying again with backoff. A
/// <see cref="ProvisioningException"/> is a refusal that trying again will not change.
/// </summary>
internal sealed class ProvisionerUnavailableException : Exception
{
    public ProvisionerUnavailableException()
    {
    }

    public ProvisionerUnavailableException(string message)
        : base(message)
    {
    }

    public ProvisionerUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>How long the system asked to be left alone (a Retry-After), when it said.</summary>
    public TimeSpan? RetryAfter { get; init; }
}
