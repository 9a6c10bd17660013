using ModelPlatform.Contracts;

namespace ModelPlatform.Cli.Connection;

/// <summary>
/// The quickstart's admin token file, <c>.data/deployer/admin-token</c>, looked for in the current
/// directory and then in each directory above it (as git finds <c>.git</c>), so the CLI works from
/// anywhere inside the repository the suite was started from. The gateway reads the same file
/// (services/gateway/Configuration/DeployerConnectionOptions.cs), from the current directory only.
/// </summary>
internal static class QuickstartTokenFile
{
    public static readonly string RelativePath = Path.Combine(".data", "deployer", AdminTokenFile.FileName);

    /// <summary>The nearest such file at or above <paramref name="directory"/>, or null.</summary>
    public static string? Find(string directory)
    {
        for (var current = new DirectoryInfo(Path.GetFullPath(directory)); current is not null; current = current.Parent)
        {
            var candidate = Path.Combine(current.FullName, RelativePath);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
