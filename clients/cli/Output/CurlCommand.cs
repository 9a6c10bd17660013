namespace ModelPlatform.Cli.Output;

/// <summary>A <c>curl</c> line for an inference request, quoted for a POSIX shell.</summary>
internal static class CurlCommand
{
    /// <param name="inferUrl">The gateway's <c>/v2/models/{name}/infer</c>.</param>
    /// <param name="body">The JSON body inline, or null to send <paramref name="bodyFile"/>.</param>
    /// <param name="bodyFile">A file holding the body (<c>-d @file</c>).</param>
    /// <param name="variant">A variant to pin with the <c>x-model-variant</c> header, or null.</param>
    public static string Infer(string inferUrl, string? body, string? bodyFile, string? variant)
    {
        var pin = variant is null ? string.Empty : $" -H {Quote("x-model-variant: " + variant)}";
        var data = body is not null ? Quote(body) : Quote("@" + bodyFile);
        return $"curl -s -X POST {Quote(inferUrl)}{pin} -H 'Content-Type: application/json' -d {data}";
    }

    /// <summary>Single quotes, with each single quote inside closed, escaped and reopened.</summary>
    public static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
