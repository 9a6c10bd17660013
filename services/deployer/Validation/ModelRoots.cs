using Microsoft.Extensions.Options;
using ModelPlatform.Deployer.Configuration;
using ModelPlatform.Deployer.Provisioning.Processes;

namespace ModelPlatform.Deployer.Validation;

/// <summary>
/// The folders model files may come from: <c>Deployer:ModelRoots</c> plus the reference server's
/// bundled models folder. A path counts as inside only after <c>..</c> and every symbolic link on
/// the way are resolved, so neither can lead a deployment to an arbitrary file of the host.
/// </summary>
internal sealed class ModelRoots
{
    private const int MaxLinkDepth = 32;

    public ModelRoots(IOptions<DeployerOptions> options, ReplicaLauncher launcher)
    {
        BundledFolder = Path.Combine(Path.GetDirectoryName(launcher.ServerPath)!, "models");
        Folders = [.. options.Value.ModelRoots.Append(BundledFolder).Select(root => RealPath(root)).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The reference server's bundled models folder (the bundled ResNet18 is there).</summary>
    public string BundledFolder { get; }

    /// <summary>The roots, as real paths.</summary>
    public IReadOnlyList<string> Folders { get; }

    public bool Contains(string path) =>
        RealPath(path) is var real && Folders.Any(root => real.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal));

    /// <summary>The path with every symbolic link resolved (what realpath(3) answers), for paths that exist or not.</summary>
    public static string RealPath(string path, int depth = 0)
    {
        if (depth > MaxLinkDepth)
        {
            throw new IOException($"Too many levels of symbolic links resolving '{path}'.");
        }

        var current = "/";
        foreach (var part in Path.GetFullPath(path).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            current = info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target
                ? RealPath(target.FullName, depth + 1)
                : next;
        }

        return current;
    }
}
