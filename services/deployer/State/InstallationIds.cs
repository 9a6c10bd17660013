namespace ModelPlatform.Deployer.State;

/// <summary>How a new installation id looks: random, and a valid Kubernetes label value.</summary>
internal static class InstallationIds
{
    public static string New() => Guid.NewGuid().ToString("N");
}
