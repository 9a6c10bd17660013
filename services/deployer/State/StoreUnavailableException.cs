namespace ModelPlatform.Deployer.State;

/// <summary>
/// The store cannot be used at all (a corrupt or unreadable file, a Dapr state store that is missing
/// or cannot keep a change and its audit entry together): the deployer must not start on it.
/// </summary>
internal sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException(string message)
        : base(message)
    {
    }

    public StoreUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
