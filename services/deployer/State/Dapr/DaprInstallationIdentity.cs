using Dapr;

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

            try
            {
                // No ETag: the write only creates, so two deployers starting together keep one id.
                await state.TransactAsync([state.Upsert(Key, InstallationIds.New(), etag: null)], cancellationToken);
            }
            catch (DaprException) when (attempt < MaxAttempts)
            {
                // Someone else wrote it first: read theirs.
            }
        }
    }
}
