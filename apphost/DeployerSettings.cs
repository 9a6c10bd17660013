using System.Globalization;
using Microsoft.Extensions.Configuration;
using ModelPlatform.Contracts;

namespace ModelPlatform.AppHost;

/// <summary>
/// The settings the app host adds to the deployer's. They go after the user's own list entries
/// (<c>Deployer__ModelRoots__0=/my/models dotnet run --project apphost</c>), never over them: the
/// user's entries are passed on as given and the app host's take the next free index.
/// </summary>
internal static class DeployerSettings
{
    /// <summary>The name the app host's token has in the deployer's audit trail when the user configured tokens.</summary>
    public const string TokenName = "apphost";

    /// <summary>
    /// Environment variables for the deployer: the user's model roots and the bundled model's folder;
    /// when the user configured tokens (which turn off the deployer's own token file), theirs and the
    /// token in <paramref name="tokenFile"/> as an admin, so the gateway and the quickstart that use
    /// the file are still let in.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Environment(IConfiguration configuration, string bundledModelFolder, string tokenFile)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        var roots = configuration.GetSection("Deployer:ModelRoots");
        PassOn(roots, "Deployer__ModelRoots", environment);
        environment[$"Deployer__ModelRoots__{NextIndex(roots)}"] = bundledModelFolder;

        var tokens = configuration.GetSection("Deployer:Auth:Tokens");
        if (tokens.GetChildren().Any())
        {
            PassOn(tokens, "Deployer__Auth__Tokens", environment);
            var at = $"Deployer__Auth__Tokens__{NextIndex(tokens)}";
            environment[$"{at}__Name"] = TokenName;
            environment[$"{at}__Role"] = "admin";
            environment[$"{at}__Sha256"] = BearerTokens.Sha256Hex(AdminTokenFile.Read(tokenFile));
        }

        return environment;
    }

    // Explicitly, not only through the inherited environment: settings given on the app host's
    // command line or in its user secrets reach the deployer too.
    private static void PassOn(IConfigurationSection section, string prefix, Dictionary<string, string> environment)
    {
        foreach (var (key, value) in section.AsEnumerable(makePathsRelative: true))
        {
            if (value is not null)
            {
                environment[$"{prefix}__{key.Replace(":", "__", StringComparison.Ordinal)}"] = value;
            }
        }
    }

    private static int NextIndex(IConfigurationSection list) =>
        list.GetChildren()
            .Select(child => int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index + 1 : 0)
            .DefaultIfEmpty(0)
            .Max();
}
