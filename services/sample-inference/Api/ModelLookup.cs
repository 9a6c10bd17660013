using Microsoft.AspNetCore.Http.HttpResults;
using ModelPlatform.SampleInference.Runtime;

namespace ModelPlatform.SampleInference.Api;

/// <summary>Refuses, with 404 (NOT_FOUND over gRPC), a model or version this server does not serve.</summary>
internal static class ModelLookup
{
    public static JsonHttpResult<V2Error>? NotServed(ModelHost host, string name, string? version) =>
        NotServedMessage(host, name, version) is { } message ? V2Results.Error(StatusCodes.Status404NotFound, message) : null;

    /// <summary>Why the model is not served here, or null when it is; an empty or null version is any version.</summary>
    public static string? NotServedMessage(ModelHost host, string name, string? version)
    {
        if (!host.Serves(name))
        {
            return $"Model '{name}' is not served here; this server serves '{host.Name}'.";
        }

        if (!string.IsNullOrEmpty(version) && !string.Equals(version, host.Version, StringComparison.Ordinal))
        {
            return $"Model '{name}' has no version '{version}'; it has version '{host.Version}'.";
        }

        return null;
    }
}
