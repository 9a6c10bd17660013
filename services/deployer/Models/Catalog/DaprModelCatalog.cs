using ModelPlatform.Contracts;
using ModelPlatform.Deployer.State.Dapr;

namespace ModelPlatform.Deployer.Models.Catalog;

/// <summary>
/// Model versions in the Dapr state store: one key per model name (<c>model/{name}</c>: its last
/// version number and its versions) and an index key listing the names, as the deployments are
/// kept (see <see cref="DaprDeploymentStore"/> for why an index). Every write names the ETags it
/// read, and a lost race is retried from a fresh read.
/// </summary>
internal sealed class DaprModelCatalog(DaprState state) : IModelCatalog
{
    public const string IndexKey = "models";

    public static string KeyOf(string name) => $"model/{name}";

    public async Task<IReadOnlyList<ModelVersion>> ListAsync(CancellationToken cancellationToken)
    {
        var (names, _) = await state.GetAsync<string[]>(IndexKey, cancellationToken);
        var entries = await state.GetManyAsync<ModelEntry>([.. (names ?? []).Select(KeyOf)], cancellationToken);
        return [.. entries.SelectMany(entry => entry.Value.Versions).OrderBy(v => v.Name, StringComparer.Ordinal).ThenBy(v => v.Version)];
    }

    public async Task<IReadOnlyList<ModelVersion>> VersionsAsync(string name, CancellationToken cancellationToken)
    {
        var (entry, _) = await state.GetAsync<ModelEntry>(KeyOf(name), cancellationToken);
        return entry?.Versions ?? [];
    }

    public async Task<(ModelVersion Version, bool Created)> AddAsync(ModelVersionDraft draft, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var retries = state.Retries($"model '{draft.Name}'");
        while (true)
        {
            var (entry, etag) = await state.GetAsync<ModelEntry>(KeyOf(draft.Name), cancellationToken);
            if (entry?.Versions.FirstOrDefault(v => v.Digest == draft.Digest) is { } existing)
            {
                return (existing, false);
            }

            var version = draft.Numbered((entry?.LastVersion ?? 0) + 1);
            var next = new ModelEntry(version.Version, [.. entry?.Versions ?? [], version]);
            var (names, indexETag) = await state.GetAsync<string[]>(IndexKey, cancellationToken);
            var operations = new List<Dapr.Client.StateTransactionRequest> { state.Upsert(KeyOf(draft.Name), next, etag) };
            if (!(names ?? []).Contains(draft.Name, StringComparer.Ordinal))
            {
                operations.Add(state.Upsert(IndexKey, (names ?? []).Append(draft.Name).Order(StringComparer.Ordinal).ToArray(), indexETag));
            }

            if (await state.TryTransactAsync(operations, cancellationToken))
            {
                return (version, true);
            }

            retries.Lost();
        }
    }

    public async Task<bool> DeleteAsync(string name, int version, CancellationToken cancellationToken)
    {
        var retries = state.Retries($"model '{name}'");
        while (true)
        {
            var (entry, etag) = await state.GetAsync<ModelEntry>(KeyOf(name), cancellationToken);
            if (entry is null || !entry.Versions.Any(v => v.Version == version))
            {
                return false;
            }

            // The key stays, with its last number, so a later upload does not reuse this version's.
            var next = entry with { Versions = [.. entry.Versions.Where(v => v.Version != version)] };
            if (await state.TryTransactAsync([state.Upsert(KeyOf(name), next, etag)], cancellationToken))
            {
                return true;
            }

            retries.Lost();
        }
    }

    /// <summary>What the store keeps per model name.</summary>
    internal sealed record ModelEntry(int LastVersion, IReadOnlyList<ModelVersion> Versions);
}
