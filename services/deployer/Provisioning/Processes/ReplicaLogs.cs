using System.Text;

namespace ModelPlatform.Deployer.Provisioning.Processes;

/// <summary>Reads the end of a replica's log file.</summary>
internal static class ReplicaLogs
{
    private const int MaxBytes = 256 * 1024;

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
        // Control sequences (ONNX Runtime colours its errors) are noise in a status message.
        return string.Join('\n', all.TakeLast(lines).Select(line => new string([.. line.Where(c => !char.IsControl(c) || c == '\t')])));
    }
}
