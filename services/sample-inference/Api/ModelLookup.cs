using Microsoft.AspNetCore.Http.HttpResults;
using ModelPlatform.SampleInference.Runtime;

namespace ModelPlatform.SampleInference.Api;

/// <summary>Answers 404 for a model or version this server does not serve.</summary>
internal static class ModelLookup
{
    public static JsonHttpResult<V2Error>? NotServed(ModelHost host, string name, string? version)
    {
        if (!host.Serves(name))
        {
            return V2Results.Error(StatusCodes.Status404NotFound, $"Model '{name}' is not served here; this server serves '{host.Name}'.");
        }

        if (version is not null && !string.Equals(version, host.Version, StringComparison.Ordinal))
        {
            return V2Results.Error(StatusCodes.Status404NotFound, $"Model '{name}' has no version '{version}'; it has version '{host.Version}'.");
        }

        return null;
    }
}
