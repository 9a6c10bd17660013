using System.Globalization;
using Yarp.ReverseProxy.Model;

namespace ModelPlatform.Gateway.LoadBalancing;

/// <summary>The variant and weight a destination carries in its metadata.</summary>
internal static class VariantMetadata
{
    public const string Variant = "variant";
    public const string Weight = "weight";
    public const string Model = "model";

    public static string VariantOf(DestinationState destination) =>
        destination.Model.Config.Metadata?.GetValueOrDefault(Variant) ?? string.Empty;

    public static int WeightOf(DestinationState destination) =>
        int.TryParse(destination.Model.Config.Metadata?.GetValueOrDefault(Weight), NumberStyles.None, CultureInfo.InvariantCulture, out var weight)
            ? weight
            : 0;
}
