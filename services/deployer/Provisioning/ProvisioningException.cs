namespace ModelPlatform.Deployer.Provisioning;

/// <summary>A provisioner could not do what it was asked, for a reason worth showing the user as is.</summary>
internal sealed class ProvisioningException : Exception
{
    public ProvisioningException()
    {
    }

    public ProvisioningException(string message)
        : base(message)
    {
    }

    public ProvisioningException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
