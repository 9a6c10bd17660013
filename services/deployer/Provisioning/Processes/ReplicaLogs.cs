using System.Text;
using System.Text.RegularExpressions;

namespace ModelPlatform.Deployer.Provisioning.Processes;

/// <summary>
/// Reads what a replica left: the end of its log, and the reason it wrote before exiting. Both come
/// back as plain text: ANSI escape sequences (ONNX Runtime colours its errors whatever the output)
/// and other control characters are removed.
/// </summary>
internal static partial class ReplicaLogs
{
    private const int MaxBytes = 256 * 1024;

    /// <summary>As much of a termination message as is kept; Kubernetes keeps 4096 bytes of one too.</summary>
    private const int MaxMessageChars = 4096;

    public static string Tail(string path, int lines)
    {
        if (!File.Exists(path))
        {
            return string.Empty;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var start = Math.Max(0, stream.Length - MaxBytes);
        stream.Seek(start, SeekOrigin.Begin);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var all = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('\n', all.TakeLast(lines).Select(Plain));
    }

    /// <summary>The last line of the log with something on it, or null.</summary>
    public static string? LastLine(string path) =>
        Tail(path, 50).Split('\n').LastOrDefault(line => !string.IsNullOrWhiteSpace(line))?.Trim();

    /// <summary>The reason a replica wrote to <paramref name="path"/> before exiting, or null if it wrote none.</summary>
    public static string? TerminationMessage(string path)
    {
        try
        {
            using var reader = new StreamReader(path, Encoding.UTF8);
            var buffer = new char[MaxMessageChars];
            var read = reader.ReadBlock(buffer, 0, buffer.Length);
            var message = string.Join(' ', Plain(new string(buffer, 0, read)).Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            return message.Length > 0 ? message : null;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            return null;
        }
    }

    /// <summary>The text without escape sequences and control characters (line breaks and tabs kept).</summary>
    public static string Plain(string text)
    {
        var stripped = AnsiEscape().Replace(text, string.Empty);
        return new string([.. stripped.Where(c => !char.IsControl(c) || c is '\t' or '\n')]);
    }

    // CSI sequences (colours: ESC [ 1;31 m), OSC sequences (titles, links: ESC ] ... BEL or ESC \),
    // and the two-character escapes.
    [GeneratedRegex(@"\x1B(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1B]*(\x07|\x1B\\)?|[@-Z\\-_])", RegexOptions.CultureInvariant)]
    private static partial Regex AnsiEscape();
}
