using System.Diagnostics;

namespace ModelPlatform.SampleInference.Telemetry;

/// <summary>Names of the server's own traces and metrics.</summary>
internal static class InferenceTelemetry
{
    public const string Name = "ModelPlatform.SampleInference";

    public static readonly ActivitySource Source = new(Name);
}
