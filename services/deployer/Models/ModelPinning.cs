using ModelPlatform.Contracts;

namespace ModelPlatform.Deployer.Models;

/// <summary>
/// Turns a deployment request's <c>models:/{name}</c> URIs into <c>models:/{name}@sha256:{hex}</c>
/// (the newest version at the time of the request), so the stored revision names exact bytes and
/// a later upload changes no running deployment; a pinned URI is checked to name a stored version.
/// An <c>https://...#sha256={hex}</c> URI is fetched into the store and pinned the same way.
/// </summary>
internal sealed class ModelPinning(ModelStore store, RemoteModelFetch remote)
{
    /// <summary>The request with every store URI pinned, and the problems by field (<c>stable.model.uri</c>).</summary>
    public async Task<(DeploymentRequest Request, Dictionary<string, string[]> Errors)> PinAsync(
        DeploymentRequest request, string? nameInPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var deployment = request.Name ?? nameInPath;
        var stable = await PinAsync(request.Stable, deployment, VariantNames.Stable, errors, cancellationToken);
        var canary = await PinAsync(request.Canary, deployment, VariantNames.Canary, errors, cancellationToken);
        return (ReferenceEquals(stable, request.Stable) && ReferenceEquals(canary, request.Canary) ? request : request with { Stable = stable, Canary = canary }, errors);
    }

    private async Task<VariantSpec?> PinAsync(
        VariantSpec? variant, string? deployment, string path, Dictionary<string, string[]> errors, CancellationToken cancellationToken)
    {
        if (variant?.Model is not { Uri: { } uri } model)
        {
            return variant;
        }

        var field = $"{path}.model.uri";
        if (RemoteModelFetch.IsRemote(uri))
        {
            if (ModelNames.WhyInvalid(deployment) is not null)
            {
                // The validator names the deployment's name; the file is kept under it, so it waits for a good one.
                return variant;
            }

            var (fetched, problem) = await remote.FetchAsync(deployment!, uri, cancellationToken);
            if (fetched is null)
            {
                errors[field] = [problem!];
                return variant;
            }

            return variant with { Model = model with { Uri = fetched.Uri } };
        }

        if (!StoredModelUri.IsStoreUri(uri))
        {
            return variant;
        }

        if (!StoredModelUri.TryParse(uri, out var parsed, out var error))
        {
            errors[field] = [error];
            return variant;
        }

        var version = await store.ResolveAsync(parsed, cancellationToken);
        if (version is null)
        {
            errors[field] = [parsed.Digest is null
                ? $"names model '{parsed.Name}', which the model store does not have; upload it first (POST /v1/models?name={parsed.Name})."
                : $"names {parsed.Digest}, which is not a version of model '{parsed.Name}' in the model store (GET /v1/models/{parsed.Name} lists them)."];
            return variant;
        }

        return version.Uri == uri ? variant : variant with { Model = model with { Uri = version.Uri } };
    }
}
