namespace ModelPlatform.Cli.Output;

/// <summary>Words and tables for people (the default), or JSON documents for scripts.</summary>
internal enum OutputFormat
{
    Human,
    Json,
}
