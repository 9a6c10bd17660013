using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using ModelPlatform.Contracts;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Models.Files;

namespace ModelPlatform.Deployer.Models;

/// <summary>
/// Model URIs on a web server, pinned by digest: <c>https://host/path/model.onnx#sha256={hex}</c>.
/// The deployer fetches the file into the store (streamed, size-limited, hashed on the way) and
/// keeps it only when its digest is the one the URI names; the variant then runs the stored copy,
/// as a version of the model named like the deployment.
/// </summary>
internal sealed partial class RemoteModelFetch(IHttpClientFactory clients, ModelFiles files, ModelStore store, IOptions<DeployerOptions> options)
{
    public const string ClientName = "model-fetch";

    /// <summary>Whether <paramref name="uri"/> is an http(s) URI, pinned or not.</summary>
    public static bool IsRemote(string uri) =>
        uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The stored version for a remote URI (fetched now unless this name has its digest already), or why there is none.</summary>
    public async Task<(ModelVersion? Version, string? Error)> FetchAsync(string modelName, string uri, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || PinnedDigest().Match(parsed.Fragment) is not { Success: true } match)
        {
            return (null, $"'{uri}' must name the file's digest, so the bytes served are the bytes deployed: append #sha256= and its SHA-256 in lower-case hex.");
        }

        var digest = StoredModelUri.DigestPrefix + match.Groups["hex"].Value;
        if (await store.ResolveAsync(new StoredModelUri(modelName, digest), cancellationToken) is { } stored)
        {
            return (stored, null);
        }

        var source = new UriBuilder(parsed) { Fragment = string.Empty }.Uri;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Models.FetchTimeout);
        try
        {
            using var response = await clients.CreateClient(ClientName).GetAsync(source, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                return (null, string.Create(CultureInfo.InvariantCulture, $"could not be fetched: {source} answered {(int)response.StatusCode} {response.ReasonPhrase}."));
            }

            if (response.Content.Headers.ContentLength > options.Value.Models.MaxModelSize)
            {
                return (null, $"is larger than {options.Value.Models.MaxModelSize} bytes, the most this deployer stores (Deployer:Models:MaxModelSize).");
            }

            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            await using var incoming = await files.ReceiveAsync(body, options.Value.Models.MaxModelSize, timeout.Token);
            if (incoming.Digest != digest)
            {
                return (null, $"names {digest}, but the file at {source} has {incoming.Digest}; nothing was stored. Check the URI and the digest.");
            }

            return await store.AddReceivedAsync(modelName, incoming, cancellationToken) switch
            {
                AddResult.Stored added => (added.Version, null),
                AddResult.NotOnnx notOnnx => (null, $"names a file that {notOnnx.Reason}"),
                var other => throw new InvalidOperationException($"{other} is not an add result this fetch knows."),
            };
        }
        catch (ModelTooLargeException ex)
        {
            return (null, $"is larger than {ex.Limit} bytes, the most this deployer stores (Deployer:Models:MaxModelSize).");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return (null, $"could not be fetched from {source}: {(ex is OperationCanceledException ? $"it took longer than {options.Value.Models.FetchTimeout} (Deployer:Models:FetchTimeout)" : ex.Message)}.");
        }
    }

    [GeneratedRegex("^#sha256=(?<hex>[0-9a-f]{64})$", RegexOptions.CultureInvariant)]
    private static partial Regex PinnedDigest();
}
