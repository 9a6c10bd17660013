using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Configuration;

namespace ModelPlatform.Deployer.Models.Files;

/// <summary>
/// The model files, content-addressed: <c>blobs/sha256/{hex}</c> under the store's folder, so the
/// same bytes are kept once whatever they are called. A file arrives in <c>incoming/</c>, hashed
/// while it is written, and is moved into place only once it is complete and checked; whatever an
/// interrupted upload left there is deleted with it (and at start, after a crash).
/// </summary>
internal sealed class ModelFiles
{
    private const int BufferSize = 128 * 1024;

    public ModelFiles(IOptions<DeployerOptions> options)
    {
        Root = RootOf(options.Value);
        BlobsFolder = BlobsFolderOf(options.Value);
        IncomingFolder = Path.Combine(Root, "incoming");
        Directory.CreateDirectory(BlobsFolder);
        if (Directory.Exists(IncomingFolder))
        {
            // Only this deployer writes here, and it has just started: nothing in flight is anyone's.
            Directory.Delete(IncomingFolder, recursive: true);
        }

        Directory.CreateDirectory(IncomingFolder);
    }

    public string Root { get; }

    public string BlobsFolder { get; }

    public string IncomingFolder { get; }

    /// <summary>Where the file with <paramref name="digest"/> (<c>sha256:{hex}</c>) is, or would be.</summary>
    public string PathOf(string digest) => PathOf(BlobsFolder, digest);

    /// <summary>
    /// The local file a replica on this machine loads for a variant's <paramref name="modelUri"/>:
    /// a store URI's file, any other URI as it is.
    /// </summary>
    public static string LocalModelUri(DeployerOptions options, string? modelUri) =>
        modelUri is not null && StoredModelUri.TryParse(modelUri, out var stored, out _) && stored.Digest is { } digest
            ? PathOf(BlobsFolderOf(options), digest)
            : modelUri ?? string.Empty;

    private static string RootOf(DeployerOptions options) =>
        Path.GetFullPath(Path.Combine(Path.GetFullPath(options.DataDirectory), options.Models.Directory));

    private static string BlobsFolderOf(DeployerOptions options) => Path.Combine(RootOf(options), "blobs", "sha256");

    private static string PathOf(string folder, string digest) =>
        StoredModelUri.IsDigest(digest)
            ? Path.Combine(folder, digest[StoredModelUri.DigestPrefix.Length..])
            : throw new ArgumentException($"'{digest}' is not a sha256 digest.", nameof(digest));

    public bool Exists(string digest) => File.Exists(PathOf(digest));

    /// <summary>
    /// Copies <paramref name="source"/> into a new incoming file while hashing it; more than
    /// <paramref name="limit"/> bytes throw <see cref="ModelTooLargeException"/>. The file is
    /// deleted if anything fails, and when the returned handle is disposed without being committed.
    /// It is still being flushed to disk when this returns: the caller reads and checks it meanwhile,
    /// and <see cref="IncomingModelFile.CommitAsync"/> waits for the flush.
    /// </summary>
    public async Task<IncomingModelFile> ReceiveAsync(Stream source, long limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var path = Path.Combine(IncomingFolder, Guid.NewGuid().ToString("N") + ".part");
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        // Shared for reading: the store parses the file while it is flushed (the name is this upload's alone).
        // Written synchronously: a write lands in the page cache in microseconds, and an asynchronous
        // file on Linux hands each chunk to the thread pool, which doubled the loop's CPU (docs/benchmarks.md).
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0, FileOptions.None);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                size += read;
                if (size > limit)
                {
                    throw new ModelTooLargeException(limit);
                }

                hash.AppendData(buffer, 0, read);
                file.Write(buffer, 0, read);
            }

            // On disk before it is named by its digest: a crash must not leave a short file under a digest.
            var flushed = Task.Run(() =>
            {
                using (file)
                {
                    file.Flush(flushToDisk: true);
                }
            }, CancellationToken.None);
            return new IncomingModelFile(this, path, StoredModelUri.DigestPrefix + Convert.ToHexStringLower(hash.GetHashAndReset()), size, flushed);
        }
        catch
        {
            await file.DisposeAsync();
            File.Delete(path);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Moves a received file under its digest; when a file with that digest is there already, it is kept and this one deleted.</summary>
    internal void Commit(IncomingModelFile incoming)
    {
        var target = PathOf(incoming.Digest);
        try
        {
            File.Move(incoming.Path, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
            File.Delete(incoming.Path);
        }
    }

    public void Delete(string digest) => File.Delete(PathOf(digest));
}

/// <summary>
/// A received file not yet in the store, its flush to disk perhaps still under way:
/// <see cref="CommitAsync"/> keeps it under its digest once it is on disk, disposing it without
/// committing deletes it.
/// </summary>
internal sealed class IncomingModelFile(ModelFiles files, string path, string digest, long size, Task flushed) : IAsyncDisposable
{
    private bool _settled;

    public string Path { get; } = path;

    public string Digest { get; } = digest;

    public long Size { get; } = size;

    public Stream OpenRead() => new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 64 * 1024);

    /// <summary>Waits until the file is on disk (a failed flush throws, and nothing is stored), then moves it under its digest.</summary>
    public async Task CommitAsync()
    {
        await flushed;
        files.Commit(this);
        _settled = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_settled)
        {
            return;
        }

        _settled = true;
        try
        {
            // The flush holds the file open; it goes once that ends, whether the flush failed or not.
            await flushed;
        }
        catch (IOException)
        {
        }
        finally
        {
            File.Delete(Path);
        }
    }
}

/// <summary>A model file is larger than the store takes (Deployer:Models:MaxModelSize).</summary>
internal sealed class ModelTooLargeException(long limit)
    : Exception($"The model is larger than {limit} bytes, the most this deployer stores (Deployer:Models:MaxModelSize).")
{
    public long Limit { get; } = limit;
}
