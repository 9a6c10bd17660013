namespace ModelPlatform.Deployer.State.Dapr;

/// <summary>The installation id under one key of the deployer's state store, written only if the key is not there yet.</summary>
internal sealed class DaprInstallationIdentity(DaprState state) : IInstallationIdentity
{
    public const string Key = "installation";

    private const int MaxAttempts = 3;

    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (id, _) = await state.GetAsync<string>(Key, cancellationToken);
            if (!string.IsNullOrEmpty(id))
            {
                return id;
            }

            // No ETag: the write only creates, so two deployers starting together keep one id; the
            // one that loses reads the winner's.
            if (!await state.TryTransactAsync([state.Upsert(Key, InstallationIds.New(), etag: null)], cancellationToken) && attempt >= MaxAttempts)
            {
                throw new StoreUnavailableException($"The installation id under '{Key}' could not be written or read after {MaxAttempts} attempts.");
            }
        }
    }
}
