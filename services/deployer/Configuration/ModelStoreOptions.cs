using System.ComponentModel.DataAnnotations;

namespace ModelPlatform.Deployer.Configuration;

/// <summary>Settings of the model store, under <c>Deployer:Models</c>.</summary>
public sealed class ModelStoreOptions
{
    /// <summary>
    /// Where model files are kept, by digest; relative to <see cref="DeployerOptions.DataDirectory"/>
    /// when not absolute. On a cluster this must be on a persistent volume.
    /// </summary>
    [Required]
    public string Directory { get; set; } = "models";

    /// <summary>The largest model file an upload (or a fetch of an <c>https://</c> URI) may bring, in bytes; larger ones get 413.</summary>
    [Range(typeof(long), "1024", "1099511627776")]
    public long MaxModelSize { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>How long fetching an <c>https://</c> model into the store may take before the request fails.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromMinutes(10);
}
