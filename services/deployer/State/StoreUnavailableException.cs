namespace ModelPlatform.Deployer.State;

/// <summary>The store cannot be used at all (a corrupt or unreadable file): the deployer must not start on it.</summary>
internal sealed class StoreUnavailableException(string message, Exception inner) : Exception(message, inner);
