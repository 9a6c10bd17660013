using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Models.Catalog;

/// <summary>
/// The model store's metadata: which versions each name has and which file (digest) each is.
/// SQLite in the embedded runtime, the Dapr state store in production, like the deployments.
/// Version numbers grow per name and are never reused, even after a delete.
/// </summary>
internal interface IModelCatalog
{
    /// <summary>Every version of every model, by name, then version.</summary>
    Task<IReadOnlyList<ModelVersion>> ListAsync(CancellationToken cancellationToken);

    /// <summary>The versions of <paramref name="name"/>, oldest first; empty when it has none.</summary>
    Task<IReadOnlyList<ModelVersion>> VersionsAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Records <paramref name="draft"/> as the next version of its name, unless a version of that
    /// name has its digest already: then that version, and false.
    /// </summary>
    Task<(ModelVersion Version, bool Created)> AddAsync(ModelVersionDraft draft, CancellationToken cancellationToken);

    /// <summary>Forgets one version; false when there was no such version.</summary>
    Task<bool> DeleteAsync(string name, int version, CancellationToken cancellationToken);
}

/// <summary>A version before it has a number: what the store learned from the file.</summary>
internal sealed record ModelVersionDraft(string Name, string Digest, long Size, ModelPlatform.Deployer.Models.Onnx.ModelSignature Signature, DateTimeOffset CreatedAt)
{
    public ModelVersion Numbered(int version) =>
        new(Name, version, Digest, Size, StoredModelUri.Pinned(Name, Digest), Signature.Inputs, Signature.Outputs, CreatedAt);
}
