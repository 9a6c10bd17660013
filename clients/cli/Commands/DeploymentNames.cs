using System.Text;

namespace ModelPlatform.Cli.Commands;

/// <summary>A deployment name from a model's file name when --name is not given: a DNS-1035 label, as the deployer requires.</summary>
internal static class DeploymentNames
{
    private const int MaxLength = 52;

    public static string FromFileName(string path)
    {
        var stem = Path.GetFileNameWithoutExtension(path).ToLowerInvariant();
        var name = new StringBuilder();
        foreach (var c in stem)
        {
            var keep = char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c);
            if (keep)
            {
                name.Append(c);
            }
            else if (name.Length > 0 && name[^1] != '-')
            {
                name.Append('-');
            }
        }

        var label = name.ToString().Trim('-');
        if (label.Length == 0 || !char.IsAsciiLetterLower(label[0]))
        {
            label = "model-" + label;
        }

        return label.Length <= MaxLength ? label.TrimEnd('-') : label[..MaxLength].TrimEnd('-');
    }
}
