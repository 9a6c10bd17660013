using System.Reflection;

namespace ModelPlatform.Testing;

/// <summary>Where the built services and the bundled model are, as recorded at build time.</summary>
public static class RepositoryPaths
{
    private static readonly Assembly Self = typeof(RepositoryPaths).Assembly;

    public static string Root { get; } = Metadata("RepositoryRoot");

    public static string Configuration { get; } = Metadata("Configuration");

    /// <summary>The bundled ResNet18 in the NuGet package folder.</summary>
    public static string ResNet18Model { get; } = Metadata("ResNet18ModelPath");

    public static string SampleInferenceDll { get; } = ServiceDll("sample-inference", "ModelPlatform.SampleInference");

    /// <summary>The build output of a service under <c>services/</c>.</summary>
    public static string ServiceDll(string folder, string assemblyName) =>
        Path.Combine(Root, "services", folder, "bin", Configuration, "net10.0", assemblyName + ".dll");

    private static string Metadata(string key) =>
        Self.GetCustomAttributes<AssemblyMetadataAttribute>().Single(attribute => attribute.Key == key).Value
        ?? throw new InvalidOperationException($"Assembly metadata '{key}' is empty.");
}
