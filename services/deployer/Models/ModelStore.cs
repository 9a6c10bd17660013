using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Models.Catalog;
using ModelPlatform.Deployer.Models.Files;
using ModelPlatform.Deployer.Models.Onnx;
using ModelPlatform.Deployer.State;

namespace ModelPlatform.Deployer.Models;

/// <summary>
/// The model store's use cases: add a file as a version of a name (checked as ONNX, kept once per
/// digest), find versions, resolve <c>models:/</c> URIs, and delete a version no deployment uses.
/// </summary>
internal sealed partial class ModelStore(
    IModelCatalog catalog,
    ModelFiles files,
    IDeploymentStore deployments,
    IOptions<DeployerOptions> options,
    TimeProvider time,
    ILogger<ModelStore> logger) : IDisposable
{
    // A file is removed when its last version goes; adding a version of the same digest meanwhile
    // must not find its file gone, so the two take turns (one deployer writes the store).
    private readonly SemaphoreSlim _files = new(1, 1);

    public long MaxModelSize => options.Value.Models.MaxModelSize;

    /// <summary>
    /// Stores <paramref name="body"/> as a version of <paramref name="name"/>. Throws
    /// <see cref="ModelTooLargeException"/> beyond the size limit; whatever goes wrong, no partial
    /// file stays behind.
    /// </summary>
    public async Task<AddResult> AddAsync(string name, Stream body, CancellationToken cancellationToken)
    {
        await using var incoming = await files.ReceiveAsync(body, MaxModelSize, cancellationToken);
        return await AddReceivedAsync(name, incoming, cancellationToken);
    }

    /// <summary>Checks a received file as ONNX and keeps it as a version of <paramref name="name"/>.</summary>
    public async Task<AddResult> AddReceivedAsync(string name, IncomingModelFile incoming, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        ModelSignature? signature;
        string? error;
        // Read while the file is still being flushed to disk; the commit below waits for the flush.
        await using (var stream = incoming.OpenRead())
        {
            OnnxHeader.TryRead(stream, out signature, out error);
        }

        if (signature is null)
        {
            return new AddResult.NotOnnx(error!);
        }

        await _files.WaitAsync(cancellationToken);
        try
        {
            await incoming.CommitAsync();
            var (version, created) = await catalog.AddAsync(
                new ModelVersionDraft(name, incoming.Digest, incoming.Size, signature, time.GetUtcNow()), cancellationToken);
            LogStored(logger, version.Name, version.Version, version.Digest, version.Size, created);
            return new AddResult.Stored(version, created);
        }
        finally
        {
            _files.Release();
        }
    }

    public Task<IReadOnlyList<ModelVersion>> ListAsync(CancellationToken cancellationToken) => catalog.ListAsync(cancellationToken);

    public Task<IReadOnlyList<ModelVersion>> VersionsAsync(string name, CancellationToken cancellationToken) => catalog.VersionsAsync(name, cancellationToken);

    public async Task<ModelVersion?> FindAsync(string name, int version, CancellationToken cancellationToken) =>
        (await catalog.VersionsAsync(name, cancellationToken)).FirstOrDefault(v => v.Version == version);

    /// <summary>The version a store URI names: its digest's, or the newest for a URI without one; null when there is none.</summary>
    public async Task<ModelVersion?> ResolveAsync(StoredModelUri uri, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var versions = await catalog.VersionsAsync(uri.Name, cancellationToken);
        return uri.Digest is null ? (versions.Count > 0 ? versions[^1] : null) : versions.FirstOrDefault(v => v.Digest == uri.Digest);
    }

    /// <summary>The file of a digest some version has, or null.</summary>
    public async Task<string?> FileOfAsync(string digest, CancellationToken cancellationToken) =>
        StoredModelUri.IsDigest(digest) && files.Exists(digest) && (await catalog.ListAsync(cancellationToken)).Any(v => v.Digest == digest)
            ? files.PathOf(digest)
            : null;

    /// <summary>Forgets a version no deployment uses, and its file when no other version has the same bytes.</summary>
    public async Task<DeleteResult> DeleteAsync(string name, int number, CancellationToken cancellationToken)
    {
        await _files.WaitAsync(cancellationToken);
        try
        {
            var version = await FindAsync(name, number, cancellationToken);
            if (version is null)
            {
                return new DeleteResult.NotFound();
            }

            var users = ModelUsage.DeploymentsUsing((await deployments.ListAsync(cancellationToken)).Select(stored => stored.Record), version);
            if (users.Count > 0)
            {
                return new DeleteResult.InUse(version, users);
            }

            if (!await catalog.DeleteAsync(name, number, cancellationToken))
            {
                return new DeleteResult.NotFound();
            }

            if (!(await catalog.ListAsync(cancellationToken)).Any(v => v.Digest == version.Digest))
            {
                files.Delete(version.Digest);
            }

            LogDeleted(logger, name, number, version.Digest);
            return new DeleteResult.Deleted();
        }
        finally
        {
            _files.Release();
        }
    }

    public void Dispose() => _files.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Name} version {Version} is {Digest} ({Size} bytes); new: {Created}")]
    private static partial void LogStored(ILogger logger, string name, int version, string digest, long size, bool created);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Name} version {Version} ({Digest}) deleted")]
    private static partial void LogDeleted(ILogger logger, string name, int version, string digest);
}

/// <summary>What became of an added file.</summary>
internal abstract record AddResult
{
    private AddResult()
    {
    }

    /// <summary>Kept: a new version, or the version of this name that has these bytes already.</summary>
    public sealed record Stored(ModelVersion Version, bool Created) : AddResult;

    /// <summary>The file is not an ONNX model; the reason reads after "body".</summary>
    public sealed record NotOnnx(string Reason) : AddResult;
}

/// <summary>What became of a delete.</summary>
internal abstract record DeleteResult
{
    private DeleteResult()
    {
    }

    public sealed record Deleted : DeleteResult;

    public sealed record NotFound : DeleteResult;

    /// <summary>Refused: these deployments run the version.</summary>
    public sealed record InUse(ModelVersion Version, IReadOnlyList<string> Deployments) : DeleteResult;
}
