namespace ModelPlatform.Deployer.State;

/// <summary>A create found <see cref="Limit"/> deployments stored already.</summary>
internal sealed class QuotaExceededException(int limit, int used)
    : Exception($"{used} deployments exist; the quota is {limit}.")
{
    public int Limit { get; } = limit;

    public int Used { get; } = used;
}
